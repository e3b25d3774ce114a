// The package as users get it: import and require by name (dist/, built by `npm test`'s
// pretest), environment overrides read at load time, and the TS fallback without the addon.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { machineIsas } from './helpers';

const root = join(__dirname, '..');

function run(code: string, { env = {}, cwd = root, esm = true, flags = [] as string[] } = {}) {
  const r = spawnSync(process.execPath, [...flags, ...(esm ? ['--input-type=module'] : []), '-e', code], {
    cwd,
    env: { ...process.env, FUSED_OPTIM_BACKEND: '', FUSED_OPTIM_ISA: '', FUSED_OPTIM_THREADS: '', ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return { out: JSON.parse(r.stdout.trim().split('\n').at(-1) as string), stderr: r.stderr };
}

// A copy of the addon under another name, for FUSED_OPTIM_ADDON (the one in use when it is set).
const addonDir = mkdtempSync(join(tmpdir(), 'fused-optim-addon-'));
const copy = join(addonDir, 'renamed.node');
cpSync(process.env.FUSED_OPTIM_ADDON || join(root, 'build', 'Release', 'fused_optim.node'), copy);
afterAll(() => rmSync(addonDir, { recursive: true, force: true }));

const INFO_ESM = "import { backendInfo } from 'fused-optim'; console.log(JSON.stringify(backendInfo()));";
const best = machineIsas().at(-1);

describe('the package by name', () => {
  it('import() gives the native backend on the best ISA with all cores', () => {
    const { out } = run(INFO_ESM);
    expect(out).toMatchObject({ name: 'native', isa: best });
    expect(out.threads).toBeGreaterThanOrEqual(1);
  });

  it('require() works too and runs a step', () => {
    const code = `const f = require('fused-optim');
      const p = { data: new Float32Array([2]), grad: new Float32Array([2]) };
      new f.AdamW([p], { lr: 0.1 }).step();
      console.log(JSON.stringify({ info: f.backendInfo(), theta: p.data[0] }));`;
    const { out } = run(code, { esm: false });
    expect(out.info.name).toBe('native');
    expect(out.theta).toBeCloseTo(1.898, 6);
  });
});

describe('environment overrides', () => {
  it.each(machineIsas())('FUSED_OPTIM_ISA=%s is honoured', (isa) => {
    expect(run(INFO_ESM, { env: { FUSED_OPTIM_ISA: isa } }).out.isa).toBe(isa);
  });

  it('an ISA the CPU lacks falls back to the best one, with a warning', () => {
    const { out, stderr } = run(INFO_ESM, { env: { FUSED_OPTIM_ISA: 'avx9000' } });
    expect(out.isa).toBe(best);
    expect(stderr).toMatch(/FUSED_OPTIM_ISA=avx9000 is not supported/);
  });

  it('FUSED_OPTIM_BACKEND=js and FUSED_OPTIM_THREADS=1', () => {
    expect(run(INFO_ESM, { env: { FUSED_OPTIM_BACKEND: 'js' } }).out.name).toBe('js');
    expect(run(INFO_ESM, { env: { FUSED_OPTIM_THREADS: '1' } }).out.threads).toBe(1);
  });
});

// The sanitizer suite names its instrumented addon through FUSED_OPTIM_ADDON; a package without
// an addon must not pick it up.
const NO_NAMED_ADDON = { FUSED_OPTIM_ADDON: '' };

describe('FUSED_OPTIM_ADDON', () => {
  it('loads the named addon file', () => {
    const code = `import { backendInfo } from 'fused-optim'; import { readFileSync } from 'node:fs';
      const info = backendInfo();
      console.log(JSON.stringify({ name: info.name, mapped: readFileSync('/proc/self/maps', 'utf8').includes(${JSON.stringify(copy)}) }));`;
    const { out } = run(code, { env: { FUSED_OPTIM_ADDON: copy } });
    expect(out).toEqual({ name: 'native', mapped: true });
  });
  // A named file that does not load: test/prebuilds.test.ts (warned, then the usual order).
});

describe('without the native addon', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fused-optim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('falls back to the TS backend with a one-line hint, and still trains', () => {
    const pkg = join(dir, 'node_modules', 'fused-optim');
    cpSync(join(root, 'dist'), join(pkg, 'dist'), { recursive: true });
    cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
    // ESM and CJS entries both used, several steps: the hint is still printed once.
    const code = `import { backendInfo, Adam } from 'fused-optim';
      import { createRequire } from 'node:module';
      const cjs = createRequire(import.meta.url)('fused-optim');
      const p = { data: new Float32Array([1]), grad: new Float32Array([1]) };
      const opt = new Adam([p], { lr: 0.5 });
      opt.step();
      const q = { data: new Float32Array([1]), grad: new Float32Array([1]) };
      new cjs.Adam([q], { lr: 0.5 }).step();
      cjs.backendInfo();
      console.log(JSON.stringify({ ...backendInfo(), theta: p.data[0] }));`;
    const { out, stderr } = run(code, { cwd: dir, env: NO_NAMED_ADDON });
    expect(out.name).toBe('js');
    const platform = `${process.platform}-${process.arch}`;
    expect(out.addonSkipped).toEqual(['no local build', `prebuilds/${platform}: not found`]);
    expect(out.nativeError).toBe(`no native addon loaded (no local build; prebuilds/${platform}: not found)`);
    expect(out.theta).toBeCloseTo(0.5, 6);
    expect(stderr.match(/npx fused-optim build/g)).toHaveLength(1);
    expect(stderr).toMatch(/no native addon loaded .*; using the pure-TypeScript backend\. For native speed: npx fused-optim build/);
  });

  it('with the committed wasm build beside it, falls back to the WebAssembly backend: same bits as native', () => {
    const pkg = join(dir, 'node_modules', 'fused-optim');
    cpSync(join(root, 'dist'), join(pkg, 'dist'), { recursive: true });
    cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
    cpSync(join(root, 'native', 'wasm'), join(pkg, 'native', 'wasm'), { recursive: true });
    const code = `import { backendInfo, AdamW } from 'fused-optim';
      const p = { data: Float32Array.from({ length: 999 }, (_, i) => Math.sin(i)), grad: Float32Array.from({ length: 999 }, (_, i) => Math.cos(i)) };
      const opt = new AdamW([p], { lr: 0.01 });
      for (let i = 0; i < 5; i++) opt.step();
      console.log(JSON.stringify({ ...backendInfo(), data: Array.from(p.data) }));`;
    const { out, stderr } = run(code, { cwd: dir, env: NO_NAMED_ADDON });
    expect(out.name).toBe('wasm');
    expect(stderr).toMatch(/using the WebAssembly backend/);
    expect(stderr).toMatch(/npx fused-optim build/);
    const native = run(code).out;
    expect(native.name).toBe('native');
    expect(out.data).toEqual(native.data);
  });
});

describe('hardened hosts', () => {
  it('with code generation from strings disallowed, steps still run and give the same bits', () => {
    const code = `import { Adam } from 'fused-optim';
      const ps = [5, 300].map((n) => ({ data: Float32Array.from({ length: n }, (_, i) => Math.sin(i)), grad: new Float32Array(n).fill(0.1) }));
      const opt = new Adam(ps, { lr: 0.01, amsgrad: true });
      for (let i = 0; i < 4; i++) opt.step();
      console.log(JSON.stringify(ps.map((p) => Array.from(p.data))));`;
    const hardened = run(code, { flags: ['--disallow-code-generation-from-strings'] }).out;
    expect(hardened).toEqual(run(code).out);
  });
});

describe('the committed wasm build', () => {
  it('was built from the current kernel sources (else: node scripts/build-wasm.mjs)', () => {
    const { out } = run("import { inputsHash } from './scripts/build-wasm.mjs'; console.log(JSON.stringify(inputsHash()));");
    expect(readFileSync(join(root, 'native', 'wasm', 'fused_optim.wasm.sha256'), 'utf8').trim()).toBe(out);
  });

  it('FUSED_OPTIM_BACKEND=wasm selects it', () => {
    expect(run(INFO_ESM, { env: { FUSED_OPTIM_BACKEND: 'wasm' } }).out).toMatchObject({ name: 'wasm', isa: 'wasm', threads: 1 });
  });
});

describe('worker threads', () => {
  it('workers that load the addon and exit leave no threads behind and do not crash the process', () => {
    const code = `
      import { Worker } from 'node:worker_threads';
      import { readdirSync } from 'node:fs';
      const threads = () => readdirSync('/proc/self/task').length;
      const job = "import('fused-optim').then(({ AdamW }) => {" +
        "const p = { data: new Float32Array(1 << 18).fill(1), grad: new Float32Array(1 << 18).fill(1) };" +
        "new AdamW([p]).step(); });";
      const once = () => new Promise((resolve, reject) => {
        const w = new Worker(job, { eval: true });
        w.on('error', reject);
        w.on('exit', resolve);
      });
      await once();
      const after1 = threads();
      for (let i = 0; i < 4; i++) await once();
      await new Promise((r) => setTimeout(r, 50));
      const { AdamW } = await import('fused-optim');
      const p = { data: new Float32Array(1 << 18).fill(1), grad: new Float32Array(1 << 18).fill(1) };
      new AdamW([p]).step();
      console.log(JSON.stringify({ after1, after5: threads(), ok: p.data[0] < 1 }));`;
    const { out } = run(code);
    expect(out.ok).toBe(true);
    expect(out.after5).toBeLessThanOrEqual(out.after1);
  });
});
