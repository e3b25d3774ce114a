import { backendInfo, useBackend, useIsa } from '../src';

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so failures reproduce. */
export { mulberry32 as rng } from '../scripts/report/random.mjs';

/** n values of about N(0, scale²), with a sprinkle of exact zeros. */
export function randomArray(n: number, random: () => number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = random();
    out[i] = u < 0.03 ? 0 : scale * Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

/** A view of n floats starting `offset` elements into a larger buffer (odd byte offsets of the data). */
export function viewAt(values: Float32Array, offset: number): Float32Array {
  const backing = new Float32Array(values.length + offset + 3).fill(Number.NaN);
  const view = backing.subarray(offset, offset + values.length);
  view.set(values);
  return view;
}

/** The instruction sets this machine can run (empty without the addon). */
export function machineIsas(): string[] {
  return backendInfo().isas;
}

/** Runs fn on the native backend forced to the given ISA, restoring the best one afterwards. */
export function onIsa<T>(isa: string, fn: () => T): T {
  useBackend('native');
  const best = machineIsas().at(-1) as string;
  useIsa(isa);
  try {
    return fn();
  } finally {
    useIsa(best);
  }
}

/** Runs fn on another backend, then goes back to the native one. */
function onBackend<T>(name: 'wasm' | 'js', fn: () => T): T {
  useBackend(name);
  try {
    return fn();
  } finally {
    useBackend('native');
  }
}

/** Runs fn on the WebAssembly backend (the kernels compiled for wasm SIMD). */
export const onWasm = <T>(fn: () => T): T => onBackend('wasm', fn);
/** Runs fn on the TypeScript backend (the specification). */
export const onJs = <T>(fn: () => T): T => onBackend('js', fn);

/** Every build of the kernels this machine runs: each native ISA, then the wasm one. */
export function kernelTargets(): string[] {
  return [...machineIsas(), 'wasm'];
}

/** Runs fn on one of kernelTargets(). */
export function onTarget<T>(target: string, fn: () => T): T {
  return target === 'wasm' ? onWasm(fn) : onIsa(target, fn);
}

/** Index of the first element whose bits differ, or -1. NaNs compare equal to NaNs. */
export function firstBitDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const ia = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ib = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) if (ia[i] !== ib[i] && !(a[i] !== a[i] && b[i] !== b[i])) return i;
  return -1;
}

export function expectBitEqual(actual: Float32Array, expected: Float32Array, label: string): void {
  const i = firstBitDifference(actual, expected);
  if (i >= 0)
    throw new Error(
      `${label}: element ${i} differs: ${actual[i]} vs ${expected[i]} (lengths ${actual.length}, ${expected.length})`,
    );
}

/** PyTorch parity: |a - e| <= atol + rtol·|e| elementwise. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, rtol = 1e-4, atol = 1e-6): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e)))
      throw new Error(`${label}: element ${i} is ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
  }
}
