// Every public entry point validates before touching memory: a rejected call throws a
// TypeError/RangeError naming the argument and leaves every array exactly as it was.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Adam, AdamW, functional, gradNorm, SGD, type Parameter } from '../src';
import { expectBitEqual, onIsa, onJs, machineIsas, onWasm } from './helpers';

function snapshot(lists: Float32Array[][]): () => void {
  const copies = lists.map((l) => l.map((a) => a.slice()));
  return () => lists.forEach((l, i) => l.forEach((a, k) => expectBitEqual(a, copies[i][k], `list ${i}[${k}]`)));
}

function adamwArgs(lengths = [4, 5]) {
  const make = () => lengths.map((n) => Float32Array.from({ length: n }, (_, i) => i + 1));
  return { p: make(), g: make(), m: make(), v: make() };
}

const OK = { step: 1, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: false };

const backends: [string, <T>(fn: () => T) => T][] = [
  ['js', onJs],
  ['native', (fn) => onIsa(machineIsas().at(-1) as string, fn)],
  ['wasm', onWasm],
];

describe.each(backends)('functional.adamw rejects bad input on %s, changing nothing', (_, on) => {
  const cases: [string, (a: ReturnType<typeof adamwArgs>) => unknown, RegExp, ErrorConstructor][] = [
    ['length mismatch', (a) => functional.adamw(a.p, [a.g[0], new Float32Array(3)], a.m, a.v, null, OK), /grads\[1\] has length 3, params\[1\] has length 5/, RangeError],
    ['list length mismatch', (a) => functional.adamw(a.p, a.g.slice(0, 1), a.m, a.v, null, OK), /grads has 1 tensors, params has 2/, RangeError],
    ['a Float64Array', (a) => functional.adamw(a.p, a.g, [a.m[0], new Float64Array(5) as never], a.v, null, OK), /expAvgs\[1\] must be a Float32Array/, TypeError],
    ['not an array', (a) => functional.adamw(a.p, a.g, a.m, 'v' as never, null, OK), /expAvgSqs must be an array/, TypeError],
    ['negative lr', (a) => functional.adamw(a.p, a.g, a.m, a.v, null, { ...OK, lr: -1 }), /lr must be .*>= 0.*-1/, RangeError],
    ['NaN lr', (a) => functional.adamw(a.p, a.g, a.m, a.v, null, { ...OK, lr: NaN }), /lr must be .*NaN/, RangeError],
    ['string lr', (a) => functional.adamw(a.p, a.g, a.m, a.v, null, { ...OK, lr: '0.1' as never }), /lr must be a number/, TypeError],
    ['beta1 = 1', (a) => functional.adamw(a.p, a.g, a.m, a.v, null, { ...OK, beta1: 1 }), /beta1 must be/, RangeError],
    ['step 0', (a) => functional.adamw(a.p, a.g, a.m, a.v, null, { ...OK, step: 0 }), /step must be an integer >= 1/, RangeError],
    ['infinite gradScale', (a) => functional.adamw(a.p, a.g, a.m, a.v, null, { ...OK, gradScale: Infinity }), /gradScale/, RangeError],
    ['amsgrad without maxExpAvgSqs', (a) => functional.adamw(a.p, a.g, a.m, a.v, null, { ...OK, amsgrad: true }), /maxExpAvgSqs must be an array/, TypeError],
    ['param aliasing a moment', (a) => functional.adamw(a.p, a.g, [a.p[0], a.m[1]], a.v, null, OK), /overlaps/, RangeError],
  ];
  it.each(cases)('%s', (_, call, message, type) => {
    on(() => {
      const a = adamwArgs();
      const unchanged = snapshot([a.p, a.g, a.m, a.v]);
      expect(() => call(a)).toThrow(type);
      expect(() => call(a)).toThrow(message);
      unchanged();
    });
  });

  it('a detached buffer', () => {
    on(() => {
      const a = adamwArgs();
      const detached = new Float32Array(5);
      structuredClone(detached.buffer, { transfer: [detached.buffer] });
      const unchanged = snapshot([a.p, a.m, a.v]);
      expect(() => functional.adamw(a.p, [a.g[0], detached], a.m, a.v, null, OK)).toThrow(/grads\[1\] has a detached buffer/);
      unchanged();
    });
  });

  it('overlapping views of one buffer are rejected; disjoint views of one buffer are fine', () => {
    on(() => {
      const flat = new Float32Array(40).fill(1);
      const p = [flat.subarray(0, 10), flat.subarray(10, 20)];
      const g = [new Float32Array(10), new Float32Array(10)];
      const m = [flat.subarray(20, 30), flat.subarray(25, 35)]; // overlap
      const v = [new Float32Array(10), new Float32Array(10)];
      const before = flat.slice();
      expect(() => functional.adam(p, g, m, v, null, OK)).toThrow(/expAvgs\[1\] overlaps expAvgs\[0\]/);
      expectBitEqual(flat, before, 'flat');
      functional.adam(p, g, [flat.subarray(20, 30), flat.subarray(30, 40)], v, null, OK);
    });
  });
});

describe('optimizer classes reject bad hyperparameters before touching any group', () => {
  it('a bad second group leaves the first untouched', () => {
    const a: Parameter = { data: new Float32Array([1, 2]), grad: new Float32Array([1, 1]) };
    const b: Parameter = { data: new Float32Array([3]), grad: new Float32Array([1]) };
    const opt = new Adam([{ params: [a] }, { params: [b] }]);
    opt.paramGroups[1].lr = Number.NaN;
    expect(() => opt.step()).toThrow(/paramGroups\[1\]\.lr/);
    expect([...a.data]).toEqual([1, 2]);
    expect(opt.state.size).toBe(0);
  });

  it('a gradient of the wrong length names the problem and changes nothing', () => {
    const a: Parameter = { data: new Float32Array([1, 2]), grad: new Float32Array(3) };
    const opt = new AdamW([a]);
    expect(() => opt.step()).toThrow(RangeError);
    expect([...a.data]).toEqual([1, 2]);
  });

  it('constructor options are checked', () => {
    const p: Parameter = { data: new Float32Array(1), grad: null };
    expect(() => new SGD([p], { lr: -0.1 })).toThrow(/lr/);
    expect(() => new SGD([p], { nesterov: true })).toThrow(/nesterov requires momentum/);
    expect(() => new Adam([p], { betas: [0.9, 1.5] })).toThrow(/betas\[1\]/);
    expect(() => new Adam([])).toThrow(/params is empty/);
    expect(() => new Adam([p, p])).toThrow(/more than one place/);
  });

  it('gradNorm validates its arguments', () => {
    expect(() => gradNorm([new Float32Array(2)], 0)).toThrow(RangeError);
    expect(() => gradNorm([[1, 2] as never])).toThrow(/tensors\[0\] must be a Float32Array/);
  });
});

describe('the per-group cache of validated lists never outlives what it checked', () => {
  it.each(backends)('%s: a buffer detached after some steps is caught, not written', (_, on) => {
    on(() => {
      const p: Parameter = { data: new Float32Array(64).fill(1), grad: new Float32Array(64).fill(0.5) };
      const opt = new AdamW([p]);
      opt.step();
      opt.step();
      structuredClone(p.data.buffer, { transfer: [p.data.buffer as ArrayBuffer] });
      expect(() => opt.step()).toThrow(/params\[0\] \(paramGroups\[0\]\.params\[0\]\) has a detached buffer/);
    });
  });

  it.each(backends)('%s: a gradient replaced by one of another length is caught', (_, on) => {
    on(() => {
      const p: Parameter = { data: new Float32Array(8).fill(1), grad: new Float32Array(8).fill(0.5) };
      const opt = new AdamW([p]);
      opt.step();
      p.grad = new Float32Array(9);
      const before = p.data.slice();
      expect(() => opt.step()).toThrow(/grads\[0\] \(paramGroups\[0\]\.params\[0\]\) has length 9, params\[0\] has length 8/);
      expectBitEqual(p.data, before, 'param');
      p.grad = new Float32Array(8).fill(0.25); // a new array of the right length is used
      opt.step();
      expect(p.data[0]).toBeLessThan(before[0]);
    });
  });
});

describe('user code that runs mid-step cannot make the addon write freed memory', () => {
  it('a getter that detaches an earlier group\'s parameter is caught', () => {
    const n = 1 << 16;
    const p0: Parameter = { data: new Float32Array(n).fill(1), grad: new Float32Array(n).fill(1) };
    const data1 = new Float32Array(8);
    let detach = false;
    const p1 = {
      get data() {
        if (detach) structuredClone(p0.data.buffer, { transfer: [p0.data.buffer as ArrayBuffer] });
        return data1;
      },
      grad: new Float32Array(8).fill(1),
    } as Parameter;
    const opt = new Adam([{ params: [p0] }, { params: [p1] }]);
    opt.step();
    opt.step(); // group 0's lists are cached and pinned now
    detach = true;
    const before = data1.slice();
    // Lengths are verified after every getter ran and before any group runs.
    expect(() => opt.step()).toThrow(/params\[0\] \(paramGroups\[0\]\.params\[0\]\) has a detached buffer/);
    expectBitEqual(data1, before, 'group 1');
  });

  it('a getter on a later stream that detaches an earlier one is caught by the addon', () => {
    const addon = createRequire(import.meta.url)(join(__dirname, '..', 'build', 'Release', 'fused_optim.node'));
    const x = new Float32Array(1 << 16);
    const streams = {
      dst: [x],
      get src() {
        structuredClone(x.buffer, { transfer: [x.buffer as ArrayBuffer] });
        return [new Float32Array(1 << 16)];
      },
    };
    expect(() => addon.step(addon.kinds().accumulate.index, streams, new Float64Array([1]))).toThrow();
  });
});

describe('the addon itself never crashes the process on garbage', () => {
  const addon = createRequire(import.meta.url)(join(__dirname, '..', 'build', 'Release', 'fused_optim.node'));
  const scalars = (n: number) => new Float64Array(n);
  // Kind indices from the addon's own table, so a kind inserted in kinds.h changes nothing here.
  const kinds = addon.kinds() as Record<string, { index: number }>;
  const K = Object.fromEntries(Object.entries(kinds).map(([name, k]) => [name, k.index]));
  const unknownKind = Object.keys(kinds).length + 50;
  it.each([
    ['no arguments', () => addon.step()],
    ['unknown kind', () => addon.step(unknownKind, {}, scalars(1))],
    ['streams not an object', () => addon.step(K.adam, 5, scalars(11))],
    ['scalars of the wrong length', () => addon.step(K.adam, { param: [] }, scalars(3))],
    ['scalars not finite', () => addon.step(K.clamp, { x: [new Float32Array(4)] }, new Float64Array([NaN]))],
    ['missing stream', () => addon.step(K.clamp, {}, scalars(1))],
    ['a number in a list', () => addon.step(K.clamp, { x: [1] }, scalars(1))],
    ['mismatched lengths', () => addon.step(K.accumulate, { dst: [new Float32Array(8)], src: [new Float32Array(4)] }, scalars(1))],
    ['amsgrad with no max list', () => addon.step(K.adam, { param: [], grad: [], expAvg: [], expAvgSq: [] }, new Float64Array([1, 0, 1, 0.1, 0.9, 0.1, 1, 1, 1e-8, 0, 1]))],
    ['lamb with a bad list', () => addon.step(K.lamb, { param: [new Float32Array(2)] }, scalars(10))],
    ['stepAsync with garbage', () => addon.stepAsync(K.adam, 5, scalars(11), {})],
    ['reduce of a string', () => addon.reduce('x', 0)],
    ['a sparse list claiming 2^32-1 tensors', () => {
      const list: unknown[] = [];
      list.length = 2 ** 32 - 1;
      return addon.reduce(list, 0);
    }],
    ['a flag scalar that is not 0 or 1', () => addon.step(K.adam, { param: [], grad: [], expAvg: [], expAvgSq: [] }, new Float64Array([1, 0, 1, 0.1, 0.9, 0.1, 1, 1, 1e-8, 0, 7]))],
    ['an Adam decay kind of 1e300', () => addon.step(K.adam, { param: [], grad: [], expAvg: [], expAvgSq: [] }, new Float64Array([1, 0, 1, 0.1, 0.9, 0.1, 1, 1, 1e-8, 1e300, 0]))],
    ['LAMB with eps 0', () => addon.step(K.lamb, { param: [], grad: [], expAvg: [], expAvgSq: [] }, new Float64Array(10))],
    ['reduce with a bad op', () => addon.reduce([], 7)],
    ['setThreads(0)', () => addon.setThreads(0)],
    ['a pinned handle of another kind', () => addon.step(K.scale, addon.pin(K.clamp, { x: [new Float32Array(4)] }), new Float64Array(1))],
    ['a pinned handle missing a flagged stream', () => addon.step(K.sgd, addon.pin(K.sgd, { param: [new Float32Array(2)], grad: [new Float32Array(2)], momentumBuffer: null }), new Float64Array([1, 0, 0, 0.9, 1, 0.1, 1, 0, 0]))],
    ['pin with a bad kind', () => addon.pin(unknownKind, {})],
    ['an object where a pinned handle belongs', () => addon.step(K.scale, { x: 5 }, new Float64Array(1))],
    ['selectIsa(5)', () => addon.selectIsa(5)],
  ])('%s throws', (_, call) => {
    expect(call).toThrow();
  });
});
