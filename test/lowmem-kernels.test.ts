// Stored optimizer state (stateDtype bfloat16 / int8) through every kernel build against the
// pure-TS specification (src/backend/state-format.ts, src/backend/js/stored.ts), bit for bit:
// every native ISA of this machine and wasm, tails around the vector widths and the block sizes,
// odd-offset views, many tensors across the parts of 2 threads, a million elements.
import { afterEach, describe, expect, it } from 'vitest';
import { setThreads } from '../src';
import { getBackend } from '../src/backend';
import { BLOCK_SIZES, bf16Bits, bf16Value, blockCount, quantize, SIGNED_NAN, UNSIGNED_NAN, UNSIGNED_STATE } from '../src/backend/state-format';
import type { KernelScalars, Kind } from '../src/backend/types';
import { adamLike, type Case, common } from './kernel-cases';
import { firstBitDifference, kernelTargets, machineIsas, onIsa, onJs, onTarget, randomArray, rng } from './helpers';

// Let the event loop turn between these long synchronous tests: vitest's worker answers its
// runner's messages only then, and gives up on them after 60 s (on a loaded machine, this file's
// tests add up to more than that).
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

const adamScalars = { gradScale: 1, l2: 0, paramDecay: 0.999, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, stepSize: 0.05, bc2Sqrt: 0.3, eps: 1e-8, decay: 2, amsgrad: false };
export const STORED_CASES: Case[] = [
  { name: 'adamw', kind: 'adam', scalars: adamScalars, streams: { ...adamLike, maxExpAvgSq: null } },
  { name: 'adam amsgrad l2', kind: 'adam', scalars: { ...adamScalars, l2: 0.1, paramDecay: 1, decay: 1, amsgrad: true }, streams: { ...adamLike, maxExpAvgSq: 'positive' } },
  { name: 'sgd momentum', kind: 'sgd', scalars: { ...common, momentum: 0.9, oneMinusDampening: 0.5, lr: 0.1, hasMomentum: true, nesterov: false, firstStep: false }, streams: { param: 'signed', grad: 'signed', momentumBuffer: 'signed' } },
  { name: 'sgd nesterov first step', kind: 'sgd', scalars: { ...common, momentum: 0.9, oneMinusDampening: 1, lr: 0.1, hasMomentum: true, nesterov: true, firstStep: true }, streams: { param: 'signed', grad: 'signed', momentumBuffer: 'signed' } },
  { name: 'adagrad', kind: 'adagrad', scalars: { ...common, clr: 0.05, eps: 1e-10 }, streams: { param: 'signed', grad: 'signed', sum: 'positive' } },
  { name: 'rmsprop', kind: 'rmsprop', scalars: { ...common, alpha: 0.99, oneMinusAlpha: 0.01, eps: 1e-8, lr: 0.01, momentum: 0, hasMomentum: false, centered: false }, streams: { param: 'signed', grad: 'signed', squareAvg: 'positive', gradAvg: null, momentumBuffer: null } },
  { name: 'rmsprop centered momentum', kind: 'rmsprop', scalars: { ...common, alpha: 0.9, oneMinusAlpha: 0.1, eps: 1e-8, lr: 0.01, momentum: 0.9, hasMomentum: true, centered: true }, streams: { param: 'signed', grad: 'signed', squareAvg: 'positive', gradAvg: 'small', momentumBuffer: 'signed' } },
  { name: 'adadelta', kind: 'adadelta', scalars: { ...common, rho: 0.9, oneMinusRho: 0.1, eps: 1e-6, lr: 1 }, streams: { param: 'signed', grad: 'signed', squareAvg: 'positive', accDelta: 'positive' } },
  { name: 'adamax', kind: 'adamax', scalars: { ...common, oneMinusBeta1: 0.1, beta2: 0.999, eps: 1e-8, clr: 0.02 }, streams: { param: 'signed', grad: 'signed', expAvg: 'small', expInf: 'positive' } },
  { name: 'nadam', kind: 'nadam', scalars: { ...common, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, bc2: 0.002, eps: 1e-8, gradStep: 0.01, avgStep: 0.02 }, streams: adamLike },
  { name: 'radam', kind: 'radam', scalars: { ...common, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, bc1: 0.5, bc2Sqrt: 0.1, eps: 1e-8, lr: 0.01, rect: 0.3, rectified: true }, streams: adamLike },
  { name: 'lion', kind: 'lion', scalars: { gradScale: 1, paramDecay: 0.999, lr: 1e-3, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.99, oneMinusBeta2: 0.01 }, streams: { param: 'signed', grad: 'signed', expAvg: 'small' } },
  // TensorFlow.js's formulas (fused-optim/tfjs): v, u, accumulator, ms, accumGrad and accumUpdate take the unsigned map.
  { name: 'tf adam', kind: 'tf_adam', scalars: { gradScale: -0.75, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, oneMinusAccBeta1: 0.271, oneMinusAccBeta2: 0.003, eps: 1e-7, lr: 0.01 }, streams: { param: 'signed', grad: 'signed', m: 'small', v: 'positive' } },
  { name: 'tf adagrad', kind: 'tf_adagrad', scalars: { gradScale: 1, eps: 1e-7, lr: 0.1 }, streams: { param: 'signed', grad: 'signed', accumulator: 'positive' } },
  { name: 'tf adadelta', kind: 'tf_adadelta', scalars: { gradScale: 0.5, rho: 0.95, oneMinusRho: 0.05, eps: 1e-7, lr: 1 }, streams: { param: 'signed', grad: 'signed', accumGrad: 'positive', accumUpdate: 'positive' } },
  { name: 'tf adamax', kind: 'tf_adamax', scalars: { gradScale: 1, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, eps: 1e-7, stepSize: 0.0123 }, streams: { param: 'signed', grad: 'signed', m: 'small', u: 'positive' } },
  { name: 'tf rmsprop centered momentum', kind: 'tf_rmsprop', scalars: { gradScale: -1.5, alpha: 0.9, oneMinusAlpha: 0.1, momentum: 0.9, eps: 1e-7, lr: 0.01, centered: true }, streams: { param: 'signed', grad: 'signed', ms: 'positive', mom: 'small', mg: 'small' } },
];

type Dtype = 'bfloat16' | 'int8';
type AnyArray = Float32Array | Uint16Array | Uint8Array;
type Streams = Record<string, AnyArray[] | null | number>;

function makeStreams(c: Case, lengths: number[], seed: number, dtype: Dtype, blockSize: number): Streams {
  const r = rng(seed);
  const out: Streams = { stateFormat: dtype === 'int8' ? 2 : 1 };
  if (dtype === 'int8') out.blockSize = blockSize;
  for (const [name, init] of Object.entries(c.streams)) {
    const isState = name !== 'param' && name !== 'grad';
    if (init === null) {
      out[name] = null;
      continue;
    }
    const values = lengths.map((n) => {
      const a = randomArray(n, r, init === 'small' ? 0.01 : 1);
      if (init === 'positive') for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]) + 1e-3;
      return a;
    });
    if (!isState) out[name] = values;
    else if (dtype === 'bfloat16') out[name] = values.map((a) => Uint16Array.from(a, bf16Bits));
    else {
      const q = values.map((a) => quantize(a, !UNSIGNED_STATE.has(name), blockSize));
      out[name] = q.map((x) => x.codes);
      out[`${name}Absmax`] = q.map((x) => x.absmax);
    }
  }
  return out;
}

/** A copy; with `offset`, every array is a view at an odd element offset into a larger buffer. */
function copyStreams(s: Streams, offset = 0): Streams {
  const out: Streams = {};
  for (const [name, list] of Object.entries(s)) {
    if (list === null || typeof list === 'number') {
      out[name] = list;
      continue;
    }
    out[name] = list.map((a, i) => {
      if (!offset) return a.slice();
      const at = offset + 2 * i;
      const backing = new (a.constructor as Float32ArrayConstructor)(a.length + at + 3);
      const view = backing.subarray(at, at + a.length);
      view.set(a as Float32Array);
      return view;
    });
  }
  return out;
}

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
