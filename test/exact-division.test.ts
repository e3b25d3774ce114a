// Division by a per-step constant (Divisor in native/kernels/simd.h) takes x·(1/c) in float64
// on AVX2 and AVX-512 instead of the divide instruction; the kernels' bits rest on it giving
// exactly the division's result. test/native/exact-division.cpp checks 0.5 billion quotients
// (every significand of a binade, quotients next to rounding boundaries, special values,
// random bit patterns) against the divide instruction, compiled here with the kernels' own
// flags (CMakeLists.txt) for each of those ISAs this machine runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { machineIsas } from './helpers';

const BF16_FLAGS = ['-DFUSED_ISA_AVX512BF16', '-mavx512f', '-mavx512bw', '-mavx512dq', '-mavx512vl', '-mavx512bf16', '-mavx2', '-mfma'];
const FLAGS: Record<string, string[]> = {
  avx2: ['-DFUSED_ISA_AVX2', '-mavx2', '-mfma'],
  avx512: machineIsas().includes('avx512f') ? BF16_FLAGS : ['-DFUSED_ISA_AVX512', '-mavx512f', '-mavx2', '-mfma'],
  // Where the CPU has AVX512_BF16, "avx512" is the build with those extensions and "avx512f" the other.
  avx512f: ['-DFUSED_ISA_AVX512', '-mavx512f', '-mavx2', '-mfma'],
};
const dir = mkdtempSync(join(tmpdir(), 'fused-division-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('division by a per-step constant', () => {
  const isas = machineIsas().filter((isa) => isa in FLAGS);
  it('runs on at least one ISA that divides through float64 on this machine', () => {
    expect(isas.length).toBeGreaterThan(0);
  });
  for (const isa of isas) {
    it(`gives the divide instruction's bits on ${isa}`, () => {
      const exe = join(dir, `exact-division-${isa}`);
      const build = spawnSync(
        'g++',
        ['-O2', '-std=c++17', '-ffp-contract=off', '-fno-math-errno', ...FLAGS[isa], '-Inative/kernels', 'test/native/exact-division.cpp', '-o', exe],
        { encoding: 'utf8' },
      );
      expect(build.stderr).toBe('');
      expect(build.status).toBe(0);
      const run = spawnSync(exe, { encoding: 'utf8' });
      expect(run.stdout).toMatch(/^checked \d+ quotients \(2000000 next to a rounding boundary\), 0 differ from the division\n$/);
      const checked = Number(/^checked (\d+)/.exec(run.stdout)?.[1]);
      expect(checked).toBeGreaterThan(500_000_000);
      expect(run.status).toBe(0);
    }, 120_000);
  }
});
