// Stored optimizer state (stateDtype bfloat16 / int8) through every kernel build against the
// pure-TS specification (src/backend/state-format.ts, src/backend/js/stored.ts), bit for bit:
// every native ISA of this machine and wasm, tails around the vector widths and the block sizes,
// odd-offset views, many tensors across the parts of 2 threads, a million elements.
import { afterEach, describe, expect, it } from 'vitest';
import { setThreads } from '../src';
import { getBackend } from '../src/backend';
import { BLOCK_SIZES, bf16Value, blockCount, SIGNED_NAN, UNSIGNED_NAN, UNSIGNED_STATE } from '../src/backend/state-format';
import type { KernelScalars, Kind } from '../src/backend/types';
import { type AnyArray, type Case, copyStoredStreams as copyStreams, type Dtype, makeStoredStreams as makeStreams, STORED_CASES, type StoredStreams as Streams } from './kernel-cases';
import { firstBitDifference, kernelTargets, machineIsas, onIsa, onJs, onTarget } from './helpers';

// Let the event loop turn between these long synchronous tests: vitest's worker answers its
// runner's messages only then, and gives up on them after 60 s (on a loaded machine, this file's
// tests add up to more than that).
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));


function run(c: Case, streams: Streams): void {
  getBackend().step(c.kind, streams as never, c.scalars as unknown as KernelScalars[Kind]);
}

function expectSame(actual: Streams, expected: Streams, label: string): void {
  for (const [name, list] of Object.entries(expected)) {
    if (list === null || typeof list === 'number') continue;
    list.forEach((e, k) => {
      const a = (actual[name] as AnyArray[])[k];
      const bits = (x: AnyArray) => (x instanceof Float32Array ? x : new Float32Array(Float32Array.from(x, (v) => v)));
      const i = firstBitDifference(bits(a), bits(e));
      if (i >= 0) throw new Error(`${label} ${name}[${k}]: element ${i} differs: ${a[i]} vs ${e[i]}`);
    });
  }
}

// Tails around every vector width (1..70) and around the block sizes, a block and a half.
const TAILS = [0, 1, ...Array.from({ length: 69 }, (_, i) => i + 2), 255, 256, 257, 511, 513, 1000, 2047, 2049, 4095, 4097, 6144 + 17];
const DTYPES: [Dtype, number][] = [['bfloat16', 0], ['int8', 256], ['int8', 2048], ['int8', 4096]];

describe.each(kernelTargets())('stored-state kernels on %s match the TS specification', (target) => {
  describe.each(DTYPES)('%s (block %i)', (dtype, blockSize) => {
    it.each(STORED_CASES.map((c) => [c.name, c] as const))('%s: tails and block boundaries', (_, c) => {
      const input = makeStreams(c, TAILS, 5, dtype, blockSize);
      const expected = copyStreams(input);
      onJs(() => run(c, expected));
      const actual = copyStreams(input);
      onTarget(target, () => run(c, actual));
      expectSame(actual, expected, `${target} ${dtype}`);
    });

    it.each(STORED_CASES.map((c) => [c.name, c] as const))('%s: views at odd element offsets', (_, c) => {
      const input = makeStreams(c, [3, 16, 31, 300, 2500], 9, dtype, blockSize);
      const expected = copyStreams(input);
      onJs(() => run(c, expected));
      const actual = copyStreams(input, 3);
      onTarget(target, () => run(c, actual));
      expectSame(actual, expected, `${target} ${dtype} offset`);
    });
  });
});

// Non-finite and extreme values through the vector loops (the state converted in them, the int8
// absmax tracked in them), around the vector widths: NaN and ±Infinity gradients, gradients whose
// square overflows, subnormals, ±0; stored NaN, ±Infinity and subnormal bfloat16 words and NaN
// codes; and a block whose state becomes all non-finite (absmax 0: Infinity · 0 must still give
// the NaN code, though x86's default NaN has its sign bit set).
const SPECIAL_LENGTHS = [15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 256 + 17, 2048 + 33];
const SPECIAL_GRADS = [NaN, Infinity, -Infinity, 3e38, -3e38, 1e-45, -1e-40, 0, -0];
const SPECIAL_WORDS = [0x7f80, 0xff80, 0x7fc1, 0xffff, 0x0001, 0x8001, 0x7f7f, 0x8000];

function withSpecials(c: Case, s: Streams, dtype: Dtype): Streams {
  (s.grad as Float32Array[]).forEach((g, t) => {
    for (let i = 3; i < g.length; i += 7) g[i] = SPECIAL_GRADS[((i / 7) | 0) % SPECIAL_GRADS.length];
    if (g.length === 256 + 17) g.fill(Infinity, 0, 256);
    if (t === 0) g.fill(NaN);
  });
  for (const name of Object.keys(c.streams)) {
    if (name === 'param' || name === 'grad' || !Array.isArray(s[name])) continue;
    for (const a of s[name] as AnyArray[])
      for (let i = 5; i < a.length; i += 11)
        a[i] = dtype === 'bfloat16' ? SPECIAL_WORDS[((i / 11) | 0) % SPECIAL_WORDS.length] : UNSIGNED_STATE.has(name) ? UNSIGNED_NAN : SIGNED_NAN;
  }
  return s;
}

/** As expectSame, but bfloat16 words compared as the values they hold (any NaN equals any NaN, as for float32). */
function expectSameValues(actual: Streams, expected: Streams, label: string): void {
  const asFloats = (x: AnyArray) => (x instanceof Uint16Array ? Float32Array.from(x, bf16Value) : x instanceof Float32Array ? x : Float32Array.from(x));
  for (const [name, list] of Object.entries(expected)) {
    if (list === null || typeof list === 'number') continue;
    list.forEach((e, k) => {
      const a = asFloats((actual[name] as AnyArray[])[k]), b = asFloats(e);
      const i = firstBitDifference(a, b);
      if (i >= 0) throw new Error(`${label} ${name}[${k}]: element ${i} differs: ${a[i]} vs ${b[i]}`);
    });
  }
}

describe.each(kernelTargets())('stored-state kernels on %s: NaN, Infinity, overflow and subnormals as the TS specification', (target) => {
  describe.each(DTYPES)('%s (block %i)', (dtype, blockSize) => {
    it.each(STORED_CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
      const input = withSpecials(c, makeStreams(c, SPECIAL_LENGTHS, 17, dtype, blockSize), dtype);
      const expected = copyStreams(input);
      onJs(() => run(c, expected));
      const actual = copyStreams(input);
      onTarget(target, () => run(c, actual));
      expectSameValues(actual, expected, `${target} ${dtype}`);
    });
  });

  it('int8: a block whose new state is all ±Infinity stores the NaN code everywhere, scale 0', () => {
    const c = STORED_CASES[0];
    const input = makeStreams(c, [256 + 17], 3, 'int8', 256);
    (input.grad as Float32Array[])[0].fill(Infinity, 0, 256);
    const actual = copyStreams(input);
    onTarget(target, () => run(c, actual));
    const codes = (actual.expAvg as Uint8Array[])[0], absmax = (actual.expAvgAbsmax as Float32Array[])[0];
    expect(absmax[0]).toBe(0);
    expect(codes.subarray(0, 256).every((x) => x === SIGNED_NAN)).toBe(true);
    expect((actual.expAvgSq as Uint8Array[])[0].subarray(0, 256).every((x) => x === UNSIGNED_NAN)).toBe(true);
  });
});

// 150 tensors of 0 to 5000 elements: the pool's parts hold many tensors and cut some, on block boundaries.
const MANY = Array.from({ length: 150 }, (_, i) => (i % 50 === 7 ? 0 : ((i * 1237) % 5000) + 1));

describe('stored-state kernels across the parts of 2 threads, every native ISA', () => {
  const SPLIT_DTYPES = DTYPES.filter(([, b]) => b === 0 || b === 2048);
  const twoThreads = (c: Case, lengths: number[], dtype: Dtype, blockSize: number) => {
    const input = makeStreams(c, lengths, 13, dtype, blockSize);
    const expected = copyStreams(input);
    onJs(() => run(c, expected));
    setThreads(2);
    for (const isa of machineIsas()) {
      const actual = copyStreams(input);
      onIsa(isa, () => run(c, actual));
      expectSame(actual, expected, `${isa} ${dtype} ${lengths.length} tensors`);
    }
  };
  const SPLIT_CASES = STORED_CASES.filter((c) =>
    ['adamw', 'sgd momentum', 'lion', 'rmsprop centered momentum', 'adagrad', 'tf adam', 'tf rmsprop centered momentum'].includes(c.name),
  );
  describe.each(SPLIT_DTYPES)('%s (block %i)', (dtype, blockSize) => {
    it.each(SPLIT_CASES.map((c) => [c.name, c] as const))('%s: 150 tensors of 0 to 5000 elements', (_, c) => twoThreads(c, MANY, dtype, blockSize));
    it('adamw: a million elements', () => twoThreads(STORED_CASES[0], [(1 << 20) + 3, 5], dtype, blockSize));
  });
});

describe('the block-size list and the native limits agree', () => {
  it('every block size divides the pool part of 32768 elements and counts blocks from the tensor start', () => {
    for (const b of BLOCK_SIZES) expect(32768 % b).toBe(0);
    expect(blockCount(0, 256)).toBe(0);
    expect(blockCount(257, 256)).toBe(2);
  });
});
