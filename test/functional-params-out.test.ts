// The functional API's out-of-place form (options.paramsOut): for every functional optimizer,
// on the native addon (each ISA's dispatch is covered by out-of-place.test.ts), the wasm and the
// TS backends, the outputs hold exactly the in-place step's params, the params keep their
// values, and the state moves as in place; with stored state too; an output that is its own
// param is the in-place step; and bad outputs are refused before anything changes.
import { afterEach, describe, expect, it } from 'vitest';
import { AdamW, functional, useBackend } from '../src';
import type { BackendName } from '../src/backend';
import { expectBitEqual, randomArray, rng } from './helpers';

afterEach(() => useBackend('native'));

const LENGTHS = [0, 1, 17, 1000, 4097];

type Lists = Record<string, Float32Array[]>;
interface Entry {
  /** Which state lists the call takes, and how they start. */
  state: Record<string, 'signed' | 'positive'>;
  call(params: Float32Array[], grads: Float32Array[], s: Lists, extra: object): unknown;
}

const adamLike = { step: 3, lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.01 };
const ENTRIES: Record<string, Entry> = {
  adam: { state: { m: 'signed', v: 'positive', mx: 'positive' }, call: (p, g, s, x) => functional.adam(p, g, s.m, s.v, s.mx, { ...adamLike, amsgrad: true, ...x }) },
  adamw: { state: { m: 'signed', v: 'positive' }, call: (p, g, s, x) => functional.adamw(p, g, s.m, s.v, null, { ...adamLike, amsgrad: false, ...x }) },
  adamax: { state: { m: 'signed', u: 'positive' }, call: (p, g, s, x) => functional.adamax(p, g, s.m, s.u, { ...adamLike, ...x }) },
  nadam: { state: { m: 'signed', v: 'positive' }, call: (p, g, s, x) => functional.nadam(p, g, s.m, s.v, { ...adamLike, momentumDecay: 0.004, muProduct: 0.8, ...x }) },
  radam: { state: { m: 'signed', v: 'positive' }, call: (p, g, s, x) => functional.radam(p, g, s.m, s.v, { ...adamLike, step: 9, ...x }) },
  lamb: { state: { m: 'signed', v: 'positive' }, call: (p, g, s, x) => functional.lamb(p, g, s.m, s.v, { ...adamLike, eps: 1e-6, ...x }) },
  adadelta: { state: { a: 'positive', d: 'positive' }, call: (p, g, s, x) => functional.adadelta(p, g, s.a, s.d, { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, ...x }) },
  adagrad: { state: { sum: 'positive' }, call: (p, g, s, x) => functional.adagrad(p, g, s.sum, { step: 2, lr: 0.1, lrDecay: 0.01, eps: 1e-10, weightDecay: 0.02, ...x }) },
  lion: { state: { m: 'signed' }, call: (p, g, s, x) => functional.lion(p, g, s.m, { lr: 1e-3, beta1: 0.9, beta2: 0.99, weightDecay: 0.1, ...x }) },
  rmsprop: {
    state: { sq: 'positive', ga: 'signed', mb: 'signed' },
    call: (p, g, s, x) => functional.rmsprop(p, g, s.sq, s.ga, s.mb, { lr: 0.01, alpha: 0.9, eps: 1e-8, momentum: 0.5, centered: true, weightDecay: 0, ...x }),
  },
  sgd: { state: { b: 'signed' }, call: (p, g, s, x) => functional.sgd(p, g, s.b, { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.01, maximize: false, ...x }) },
  'sgd without momentum': { state: {}, call: (p, g, _s, x) => functional.sgd(p, g, null, { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false, ...x }) },
};

function inputs(entry: Entry, seed: number) {
  const r = rng(seed);
  const make = (kind: 'signed' | 'positive') =>
    LENGTHS.map((n) => {
      const a = randomArray(n, r);
      if (kind === 'positive') for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]) + 1e-3;
      return a;
    });
  const state: Lists = {};
  for (const [name, kind] of Object.entries(entry.state)) state[name] = make(kind);
  return { params: make('signed'), grads: make('signed'), state };
}
const copy = (lists: Lists): Lists => Object.fromEntries(Object.entries(lists).map(([k, l]) => [k, l.map((a) => a.slice())]));

describe.each(['native', 'wasm', 'js'] as BackendName[])('functional.* with paramsOut on the %s backend', (backend) => {
  it.each(Object.keys(ENTRIES))('%s: the outputs hold the in-place params, the params are only read', (name) => {
    const entry = ENTRIES[name];
    const input = inputs(entry, 5);
    useBackend(backend);
    const inPlace = { params: input.params.map((a) => a.slice()), state: copy(input.state) };
    entry.call(inPlace.params, input.grads, inPlace.state, {});
    const params = input.params.map((a) => a.slice()), state = copy(input.state);
    const paramsOut = params.map((p) => new Float32Array(p.length).fill(-3));
    entry.call(params, input.grads, state, { paramsOut });
    paramsOut.forEach((o, k) => expectBitEqual(o, inPlace.params[k], `paramsOut[${k}]`));
    params.forEach((p, k) => expectBitEqual(p, input.params[k], `params[${k}] (only read)`));
    for (const [s, list] of Object.entries(state)) list.forEach((a, k) => expectBitEqual(a, inPlace.state[s][k], `${s}[${k}]`));
  });

  it('sgd: buffers that start this step (null entries) and outputs', () => {
    const input = inputs(ENTRIES.sgd, 8);
    useBackend(backend);
    const opts = { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0, maximize: false };
    const startingAt = (b: Float32Array[]) => b.map((a, k) => (k % 2 ? a.slice() : null));
    const inPlace = input.params.map((a) => a.slice()), inPlaceBuffers = startingAt(input.state.b);
    functional.sgd(inPlace, input.grads, inPlaceBuffers, opts);
    const params = input.params.map((a) => a.slice()), buffers = startingAt(input.state.b);
    const paramsOut = params.map((p) => new Float32Array(p.length));
    functional.sgd(params, input.grads, buffers, { ...opts, paramsOut });
    paramsOut.forEach((o, k) => expectBitEqual(o, inPlace[k], `paramsOut[${k}]`));
    params.forEach((p, k) => expectBitEqual(p, input.params[k], `params[${k}]`));
    buffers.forEach((b, k) => expectBitEqual(b as Float32Array, inPlaceBuffers[k] as Float32Array, `momentumBuffers[${k}]`));
  });

  it.each(['bfloat16', 'int8'] as const)('adamw with %s state: the in-place bits', (stateDtype) => {
    const input = inputs(ENTRIES.adamw, 9);
    useBackend(backend);
    const fresh = () => ({
      m: input.params.map((p) => functional.createState(p.length, stateDtype, 256)),
      v: input.params.map((p) => functional.createState(p.length, stateDtype, 256)),
    });
    const opts = { ...adamLike, amsgrad: false, stateDtype, blockSize: 256 };
    const inPlace = input.params.map((a) => a.slice()), a = fresh();
    functional.adamw(inPlace, input.grads, a.m, a.v, null, opts);
    const params = input.params.map((x) => x.slice()), b = fresh();
    const paramsOut = params.map((p) => new Float32Array(p.length));
    functional.adamw(params, input.grads, b.m, b.v, null, { ...opts, paramsOut });
    paramsOut.forEach((o, k) => expectBitEqual(o, inPlace[k], `paramsOut[${k}]`));
    params.forEach((p, k) => expectBitEqual(p, input.params[k], `params[${k}]`));
    const decode = (s: unknown) => functional.stateToFloat32(s as never, true, 256);
    b.m.forEach((s, k) => expectBitEqual(decode(s), decode(a.m[k]), `expAvgs[${k}]`));
  });
});

describe('functional.* paramsOut refused before anything changes', () => {
  const setup = () => {
    const input = inputs(ENTRIES.adamw, 3);
    return { ...input, before: [...input.params, ...input.grads, ...input.state.m, ...input.state.v].map((a) => a.slice()) };
  };
  const call = (s: ReturnType<typeof setup>, paramsOut: unknown) =>
    functional.adamw(s.params, s.grads, s.state.m, s.state.v, null, { ...adamLike, amsgrad: false, paramsOut: paramsOut as Float32Array[] });
  const unchanged = (s: ReturnType<typeof setup>) =>
    [...s.params, ...s.grads, ...s.state.m, ...s.state.v].forEach((a, i) => expectBitEqual(a, s.before[i], `array ${i}`));

  it.each([
    ['not an array', () => 'out', TypeError, /paramsOut must be an array/],
    ['one output too few', (s: ReturnType<typeof setup>) => s.params.slice(1).map((p) => new Float32Array(p.length)), RangeError, /paramsOut has 4 tensors, params has 5/],
    ['an output of another length', (s: ReturnType<typeof setup>) => s.params.map((p, k) => new Float32Array(k === 2 ? p.length + 1 : p.length)), RangeError, /paramsOut\[2\] has length 18, params\[2\] has length 17/],
    ['a Float64Array', (s: ReturnType<typeof setup>) => s.params.map((p, k) => (k === 1 ? new Float64Array(p.length) : new Float32Array(p.length))), TypeError, /paramsOut\[1\] must be a Float32Array/],
    ['an output that is a gradient', (s: ReturnType<typeof setup>) => s.params.map((p, k) => (k === 3 ? s.grads[3] : new Float32Array(p.length))), RangeError, /paramsOut\[3\].*overlaps|overlaps.*paramsOut\[3\]/],
    ['an output inside another param', (s: ReturnType<typeof setup>) => s.params.map((p, k) => (k === 1 ? s.params[4].subarray(0, 1) : new Float32Array(p.length))), RangeError, /paramsOut\[1\].*overlaps|overlaps.*paramsOut\[1\]/],
  ] as const)('%s', (_, make, type, message) => {
    const s = setup();
    const outputs = make(s) as unknown;
    const arrays = (Array.isArray(outputs) ? outputs : []) as Float32Array[];
    const snapshot = arrays.map((o) => o.slice());
    expect(() => call(s, outputs)).toThrow(type);
    expect(() => call(s, outputs)).toThrow(message);
    unchanged(s);
    arrays.forEach((o, k) => expect(Array.from(o)).toEqual(Array.from(snapshot[k])));
  });

  it('an output that is its own param is the in-place step', () => {
    const s = setup(), t = setup();
    functional.adamw(t.params, t.grads, t.state.m, t.state.v, null, { ...adamLike, amsgrad: false });
    call(s, s.params);
    s.params.forEach((p, k) => expectBitEqual(p, t.params[k], `params[${k}]`));
  });

  it('the optimizer classes take no paramsOut', () => {
    const p = { data: new Float32Array(4), grad: new Float32Array(4) };
    expect(() => new AdamW([p], { paramsOut: [new Float32Array(4)] } as never)).toThrow(/paramsOut/);
  });
});
