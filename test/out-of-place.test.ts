// Out-of-place steps (streams.paramOut: the new params written to other arrays, the old ones
// only read), on every kernel build of this machine (each native ISA, wasm) and the TS
// specification: exactly the bits of the in-place step, the params left unchanged, for lengths
// 0, 1, the tails around the vector widths and the native out-of-place group (4096 elements),
// views at odd offsets, stored bfloat16/int8 state, a million elements and many tensors across
// 2 threads; and bad output lists refused before anything is written.
import { afterEach, describe, expect, it } from 'vitest';
import { setThreads } from '../src';
import type { KernelScalars, Kind } from '../src/backend/types';
import { checkStreams } from '../src/functional/stream-check';
import {
  type AnyArray, type Case, copyStoredStreams, copyStreams, type Dtype, KERNEL_CASES, makeStoredStreams, makeStreams, runCase,
  STORED_CASES, type StoredStreams, type Streams, TF_CASES,
} from './kernel-cases';
import { expectBitEqual, firstBitDifference, kernelTargets, machineIsas, onIsa, onJs, onTarget } from './helpers';

// Long synchronous tests: let vitest's worker answer its runner between them.
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

const PARAM_CASES = [...KERNEL_CASES, ...TF_CASES].filter((c) => 'param' in c.streams);
const named = PARAM_CASES.map((c) => [c.name, c] as const);
const TARGETS = [...kernelTargets(), 'js'];
const onAny = <T>(target: string, fn: () => T): T => (target === 'js' ? onJs(fn) : onTarget(target, fn));
const best = () => machineIsas().at(-1) as string;

/** Fresh outputs full of a value no step gives, at `offset` elements into larger buffers if asked. */
function outputsFor(params: AnyArray[], offset: number): Float32Array[] {
  return params.map((p, i) => {
    const at = offset ? offset + 2 * i : 0;
    return new Float32Array(p.length + at + 3).fill(-12345.5).subarray(at, at + p.length);
  });
}

const asFloats = (a: AnyArray) => (a instanceof Float32Array ? a : new Float32Array(Float32Array.from(a as Uint8Array, (v) => v)));

function expectSameLists(actual: StoredStreams | Streams, expected: StoredStreams | Streams, label: string): void {
  for (const [name, list] of Object.entries(expected)) {
    if (list === null || typeof list === 'number') continue;
    (list as AnyArray[]).forEach((e, k) => {
      const a = ((actual as StoredStreams)[name] as AnyArray[])[k];
      const i = firstBitDifference(asFloats(a), asFloats(e));
      if (i >= 0) throw new Error(`${label} ${name}[${k}]: element ${i} differs: ${a[i]} vs ${e[i]}`);
    });
  }
}

/**
 * Runs `c` in place on one copy of `input` and out of place on another (views at `offset`),
 * on `target`: the outputs must hold the in-place params, the params their old values, every
 * other stream the in-place values.
 */
function expectOutOfPlaceIsInPlace(
  c: Case, input: StoredStreams | Streams, target: string, offset: number, copy: (s: never, offset?: number) => StoredStreams | Streams,
): void {
  const inPlace = copy(input as never);
  onAny(target, () => runCase(c, inPlace as Streams));
  const actual = copy(input as never, offset);
  const params = actual.param as Float32Array[];
  const before = params.map((p) => p.slice());
  const paramOut = outputsFor(params, offset);
  onAny(target, () => runCase(c, { ...actual, paramOut } as Streams));
  paramOut.forEach((o, k) => expectBitEqual(o, (inPlace.param as Float32Array[])[k], `${target} paramOut[${k}]`));
  params.forEach((p, k) => expectBitEqual(p, before[k], `${target} param[${k}] (must stay unchanged)`));
  expectSameLists({ ...actual, param: (inPlace as Streams).param }, inPlace, target);
}

// Tails around every vector width, and around the native out-of-place group of 4096 elements.
const TAILS = [0, 1, ...Array.from({ length: 69 }, (_, i) => i + 2), 1000, 4095, 4096, 4097, 8191, 8193];

describe.each(TARGETS)('out-of-place steps on %s give the in-place bits', (target) => {
  it.each(named)('%s: lengths 0..70, 1000 and around 4096', (_, c) =>
    expectOutOfPlaceIsInPlace(c, makeStreams(c, TAILS, 5), target, 0, copyStreams as never));

  it.each(named)('%s: views at odd element offsets', (_, c) =>
    expectOutOfPlaceIsInPlace(c, makeStreams(c, [3, 16, 31, 65, 4099], 9), target, 3, copyStreams as never));
});

const STORED_TAILS = [0, 1, 17, 255, 257, 2049, 4095, 4097, 6144 + 17];
const DTYPES: [Dtype, number][] = [['bfloat16', 0], ['int8', 256], ['int8', 4096]];

describe.each(TARGETS)('out-of-place steps with stored state on %s give the in-place bits', (target) => {
  describe.each(DTYPES)('%s (block %i)', (dtype, blockSize) => {
    it.each(STORED_CASES.map((c) => [c.name, c] as const))('%s: tails, block boundaries, odd offsets', (_, c) => {
      const input = makeStoredStreams(c, STORED_TAILS, 5, dtype, blockSize);
      expectOutOfPlaceIsInPlace(c, input, target, 0, copyStoredStreams as never);
      expectOutOfPlaceIsInPlace(c, input, target, 3, copyStoredStreams as never);
    });
  });
});

// 400 tensors of 0 to 1000 elements: a native group of 4096 elements holds many tensors.
const MANY_LENGTHS = Array.from({ length: 400 }, (_, i) => (i % 50 === 7 ? 0 : ((i * 37) % 1000) + 1));

describe('out-of-place steps across the parts of 2 threads', () => {
  it.each(named)('%s: a million elements, and 400 tensors', (_, c) => {
    setThreads(2);
    for (const lengths of [[(1 << 20) + 3, 5], MANY_LENGTHS])
      expectOutOfPlaceIsInPlace(c, makeStreams(c, lengths, 13), best(), 0, copyStreams as never);
  });

  it.each(DTYPES)('adamw with %s state (block %i): a million elements', (dtype, blockSize) => {
    setThreads(2);
    const c = STORED_CASES[0];
    expectOutOfPlaceIsInPlace(c, makeStoredStreams(c, [(1 << 20) + 3, 5], 13, dtype, blockSize), best(), 0, copyStoredStreams as never);
  });
});

describe('an output that is its own param is the in-place step', () => {
  it.each(TARGETS)('on %s: the same array, or another view of the same memory', (target) => {
    const c = PARAM_CASES.find((x) => x.name === 'sgd nesterov') as Case;
    const input = makeStreams(c, [5, 100, 4097], 3);
    const inPlace = copyStreams(input);
    onAny(target, () => runCase(c, inPlace));
    const actual = copyStreams(input);
    const params = actual.param as Float32Array[];
    const paramOut = params.map((p, k) => (k === 1 ? new Float32Array(p.buffer, p.byteOffset, p.length) : p));
    onAny(target, () => runCase(c, { ...actual, paramOut }));
    expectSameLists(actual, inPlace, target);
  });
});

// The addon checks every output list before it touches memory; the functional layer checks the
// lists it hands to any backend (checkStreams).
describe('bad output lists are refused, every array unchanged', () => {
  const c = PARAM_CASES.find((x) => x.name === 'sgd momentum dampening') as Case;
  const snapshot = (s: Record<string, unknown>) =>
    Object.entries(s).flatMap(([name, l]) => (Array.isArray(l) ? (l as Float32Array[]).map((a, k) => [`${name}[${k}]`, a, a.slice()] as const) : []));
  const refused = (streams: Record<string, unknown>, error: RegExp, type: typeof TypeError | typeof RangeError) => {
    const before = snapshot(streams);
    onIsa(best(), () => expect(() => runCase(c, streams as Streams)).toThrow(type));
    onIsa(best(), () => expect(() => runCase(c, streams as Streams)).toThrow(error));
    for (const [label, a, copy] of before) expectBitEqual(a, copy, `${label} after a refused step`);
  };
  const fresh = () => makeStreams(c, [8, 40], 7);

  it('paramOut of the wrong type, count or length', () => {
    const s = fresh();
    refused({ ...s, paramOut: 'no' }, /paramOut must be an array of Float32Array/, TypeError);
    refused({ ...s, paramOut: [new Float32Array(8), new Float64Array(40)] }, /paramOut\[1\] must be a Float32Array/, TypeError);
    refused({ ...s, paramOut: [new Float32Array(8)] }, /paramOut has 1 tensors, param has 2/, RangeError);
    refused({ ...s, paramOut: [new Float32Array(8), new Float32Array(39)] }, /paramOut\[1\] has length 39, param\[1\] has 40/, RangeError);
  });

  it('an output sharing memory with any other array of the call', () => {
    const s = fresh();
    const [p0, p1] = s.param as Float32Array[];
    const g1 = (s.grad as Float32Array[])[1];
    refused({ ...s, paramOut: [new Float32Array(g1.buffer, 0, 8), new Float32Array(40)] }, /paramOut: paramOut\[0\] overlaps grad\[1\]/, RangeError);
    // One element off its own param: partly the param's memory, so neither in place nor apart.
    const backing = new Float32Array(41);
    backing.set(p1);
    refused(
      { ...s, param: [p0, backing.subarray(0, 40)], paramOut: [new Float32Array(8), backing.subarray(1, 41)] },
      /paramOut: paramOut\[1\] overlaps param\[1\]/, RangeError,
    );
    refused({ ...s, paramOut: [p1.subarray(0, 8), new Float32Array(40)] }, /paramOut\[0\] overlaps param\[1\]/, RangeError);
    const out = new Float32Array(48);
    refused({ ...s, paramOut: [out.subarray(0, 8), out.subarray(7, 47)] }, /paramOut\[1\] overlaps paramOut\[0\]/, RangeError);
    const buf = (s.momentumBuffer as Float32Array[])[0];
    refused({ ...s, paramOut: [new Float32Array(buf.buffer, buf.byteOffset, 8), new Float32Array(40)] }, /overlaps momentumBuffer\[0\]/, RangeError);
  });

  it('a kind without params', () => {
    const scale = KERNEL_CASES.find((x) => x.kind === 'scale') as Case;
    const s = makeStreams(scale, [8], 1);
    const x = (s.x as Float32Array[])[0], copy = x.slice();
    onIsa(best(), () => expect(() => runCase(scale, { ...s, paramOut: [new Float32Array(8)] })).toThrow(/scale has no param stream to write elsewhere \(paramOut\)/));
    expectBitEqual(x, copy, 'x');
  });

  it('the functional checks: an output may be its param, never share memory with another array', () => {
    const p = [new Float32Array(8)], g = [new Float32Array(8)];
    const args = (paramOut: Float32Array[]) => [
      { name: 'param', list: p, written: false },
      { name: 'grad', list: g, written: false },
      { name: 'paramOut', list: paramOut, written: true, output: true },
    ];
    expect(() => checkStreams(args([new Float32Array(8)]))).not.toThrow();
    expect(() => checkStreams(args([new Float32Array(p[0].buffer)]))).not.toThrow();
    expect(() => checkStreams(args([new Float32Array(g[0].buffer)]))).toThrow(/paramOut\[0\].*overlaps.*grad\[0\]|grad\[0\].*overlaps.*paramOut\[0\]/);
    expect(() => checkStreams(args([new Float32Array(7)]))).toThrow(/paramOut\[0\] has length 7/);
    // In place (the output is its param) the param is written, so it may not alias a gradient.
    const shared = new Float32Array(8);
    const inPlaceOverGrad = [
      { name: 'param', list: [shared], written: false },
      { name: 'grad', list: [shared], written: false },
      { name: 'paramOut', list: [shared], written: true, output: true },
    ];
    expect(() => checkStreams(inPlaceOverGrad)).toThrow(/overlaps/);
    // Out of place, params are only read: a gradient may be a param's own array.
    expect(() => checkStreams(inPlaceOverGrad.map((a) => (a.name === 'paramOut' ? { ...a, list: [new Float32Array(8)] } : a)))).not.toThrow();
  });
});
