// stateDtype on the optimizer classes and the functional API: exact across backends, memory,
// state dicts and checkpoints, format conversion, refusals, NaN behaviour, quantization error,
// and the small seed problems with quantized state forced onto tiny tensors.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Adadelta, Adagrad, Adam, Adamax, AdamW, deserializeState, functional, LAMB, Lion, NAdam, type Parameter, type ParamState, RAdam, RMSprop, SGD,
  serializeState, type StateDict,
} from '../src';
import { DEFAULT_BLOCK_SIZE, dequantize, quantize, SIGNED_NAN, UNSIGNED_NAN } from '../src/backend/state-format';
import { expectBitEqual, kernelTargets, onJs, onTarget, randomArray, rng } from './helpers';

// Let the event loop turn between long synchronous tests (vitest's worker messages time out after 60 s).
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

type Dtype = 'float32' | 'bfloat16' | 'int8';
type Make = (params: Parameter[], stateDtype: Dtype) => { step(o?: object): boolean; stateDict(): StateDict; loadStateDict(sd: StateDict): void; stateBytes(): number; state: Map<Parameter, ParamState> };

const OPTIMIZERS: [string, Make][] = [
  ['Adam', (p, stateDtype) => new Adam(p, { lr: 0.01, weightDecay: 0.01, stateDtype })],
  ['AdamW amsgrad', (p, stateDtype) => new AdamW(p, { lr: 0.01, amsgrad: true, stateDtype })],
  ['Lion', (p, stateDtype) => new Lion(p, { lr: 0.001, weightDecay: 0.1, stateDtype })],
  ['SGD momentum dampening', (p, stateDtype) => new SGD(p, { lr: 0.01, momentum: 0.9, dampening: 0.1, stateDtype })],
  ['RMSprop centered momentum', (p, stateDtype) => new RMSprop(p, { lr: 0.001, centered: true, momentum: 0.5, stateDtype })],
  ['Adagrad', (p, stateDtype) => new Adagrad(p, { lr: 0.01, initialAccumulatorValue: 0.1, stateDtype })],
  ['Adadelta', (p, stateDtype) => new Adadelta(p, { lr: 1, weightDecay: 0.01, stateDtype })],
  ['Adamax', (p, stateDtype) => new Adamax(p, { lr: 0.01, weightDecay: 0.01, stateDtype })],
  ['NAdam', (p, stateDtype) => new NAdam(p, { lr: 0.01, weightDecay: 0.01, stateDtype })],
  ['RAdam', (p, stateDtype) => new RAdam(p, { lr: 0.01, weightDecay: 0.01, stateDtype })],
];

// The optimizers given stateDtype after Adam's family: [name, class, its never-negative buffer].
const LATER: [string, typeof Adadelta | typeof Adamax | typeof NAdam | typeof RAdam, string, string][] = [
  ['Adadelta', Adadelta, 'accDelta', 'squareAvg'],
  ['Adamax', Adamax, 'expAvg', 'expInf'],
  ['NAdam', NAdam, 'expAvg', 'expAvgSq'],
  ['RAdam', RAdam, 'expAvg', 'expAvgSq'],
];

// Below and above the 4096-element threshold, across block boundaries, odd tails.
const LENGTHS = [1, 33, 4095, 4096, 5000, 9000];

function params(seed: number): Parameter[] {
  const r = rng(seed);
  return LENGTHS.map((n) => ({ data: randomArray(n, r), grad: null }));
}

function train(make: Make, dtype: Dtype, steps: number, seed = 1) {
  const ps = params(seed);
  const opt = make(ps, dtype);
  const r = rng(seed + 100);
  for (let t = 0; t < steps; t++) {
    ps.forEach((p) => (p.grad = randomArray(p.data.length, r, 0.1)));
    opt.step();
  }
  return { ps, opt };
}

const targets = kernelTargets();

describe.each(OPTIMIZERS)('%s with stored state', (_, make) => {
  it.each(['bfloat16', 'int8'] as const)('%s: every native ISA and wasm give the TS backend\'s bits over 5 steps', (dtype) => {
    const expected = onJs(() => train(make, dtype, 5)).ps;
    for (const target of targets) {
      const actual = onTarget(target, () => train(make, dtype, 5)).ps;
      actual.forEach((p, i) => expectBitEqual(p.data, expected[i].data, `${target} ${dtype} tensor ${i}`));
    }
  });

  it('stateBytes: bfloat16 holds half, int8 about a quarter (plus block scales) of float32 above the threshold', () => {
    const bytes = Object.fromEntries((['float32', 'bfloat16', 'int8'] as const).map((d) => [d, train(make, d, 1).opt.stateBytes()]));
    expect(bytes.bfloat16).toBe(bytes.float32 / 2);
    const small = (1 + 33 + 4095) * 4 * (bytes.float32 / (4 * LENGTHS.reduce((a, b) => a + b)));
    const large = bytes.float32 - small;
    const blocks = (n: number) => Math.ceil(n / DEFAULT_BLOCK_SIZE);
    const scaleBytes = (4 * (blocks(4096) + blocks(5000) + blocks(9000)) * large) / (4 * (4096 + 5000 + 9000));
    expect(bytes.int8).toBeCloseTo(small + large / 4 + scaleBytes, 6);
  });

  it('stateDict holds the stored form, and a serialized checkpoint resumes bit-exactly', () => {
    const straight = train(make, 'int8', 6, 3).ps;
    const { ps, opt } = train(make, 'int8', 3, 3);
    const sd = opt.stateDict();
    const big = Object.values(sd.state).find((s) => s.stateFormat === 'int8') as Record<string, unknown>;
    expect(big.blockSize).toBe(DEFAULT_BLOCK_SIZE);
    expect(Object.values(big).some((v) => v instanceof Uint8Array)).toBe(true);
    expect(Object.keys(big).some((k) => k.endsWith('Absmax'))).toBe(true);
    const restored = deserializeState<StateDict>(serializeState(sd));
    const copy = ps.map((p) => ({ data: p.data.slice(), grad: null as Float32Array | null }));
    const resumed = make(copy, 'int8');
    resumed.loadStateDict(restored);
    const r = rng(3 + 100);
    for (let t = 0; t < 3; t++) copy.forEach((p) => (p.grad = randomArray(p.data.length, r, 0.1))); // the grads already used
    for (let t = 0; t < 3; t++) {
      copy.forEach((p) => (p.grad = randomArray(p.data.length, r, 0.1)));
      resumed.step();
    }
    copy.forEach((p, i) => expectBitEqual(p.data, straight[i].data, `resumed tensor ${i}`));
  });
});

describe('format conversion through state dicts', () => {
  it('a float32 checkpoint loads into an int8 optimizer and back; bfloat16 converts exactly', () => {
    const { ps, opt } = train(OPTIMIZERS[0][1], 'float32', 4, 5);
    const sd = opt.stateDict();
    const int8 = new Adam(ps, { lr: 0.01, stateDtype: 'int8' });
    int8.loadStateDict(sd);
    const m8 = int8.state.get(ps[5]) as Record<string, unknown>;
    expect(m8.stateFormat).toBe('int8');
    expect(m8.expAvg).toBeInstanceOf(Uint8Array);
    expect(int8.state.get(ps[0])?.expAvg).toBeInstanceOf(Float32Array); // 1 element: below min8bitSize
    const back = new Adam(ps, { lr: 0.01 });
    back.loadStateDict(int8.stateDict());
    const original = (opt.state.get(ps[5]) as Record<string, Float32Array>).expAvg;
    const roundTrip = (back.state.get(ps[5]) as Record<string, Float32Array>).expAvg;
    const absmax = original.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    for (let i = 0; i < original.length; i++) expect(Math.abs(roundTrip[i] - original[i])).toBeLessThanOrEqual(absmax * 0.0072);
    const bf = new Adam(ps, { lr: 0.01, stateDtype: 'bfloat16' });
    bf.loadStateDict(sd);
    const words = (bf.state.get(ps[5]) as Record<string, Uint16Array>).expAvg;
    expect(words).toBeInstanceOf(Uint16Array);
    const f32 = new Adam(ps, { lr: 0.01 });
    f32.loadStateDict(bf.stateDict());
    const decoded = (f32.state.get(ps[5]) as Record<string, Float32Array>).expAvg;
    for (let i = 0; i < decoded.length; i++) expect(Math.abs(decoded[i] - original[i])).toBeLessThanOrEqual(Math.abs(original[i]) * 2 ** -8);
  });

  it('a state dict with a mismatched format or block count is refused, the optimizer unchanged', () => {
    const { opt } = train(OPTIMIZERS[0][1], 'int8', 1, 6);
    const sd = opt.stateDict();
    const key = Object.keys(sd.state).find((k) => sd.state[Number(k)].stateFormat === 'int8') as string;
    const bad = structuredClone(sd);
    (bad.state[Number(key)] as Record<string, unknown>).expAvgAbsmax = new Float32Array(1);
    expect(() => opt.loadStateDict(bad)).toThrow(RangeError);
    const wrongType = structuredClone(sd);
    (wrongType.state[Number(key)] as Record<string, unknown>).expAvg = new Float32Array(9000);
    expect(() => opt.loadStateDict(wrongType)).toThrow(/must be a Uint8Array/);
    expect(opt.stateDict()).toEqual(sd);
  });
});

describe('state dicts of stored state are snapshots, typed by optimizer class', () => {
  it.each(['bfloat16', 'int8'] as const)('%s: stateDict() copies the words and codes, zeroCopyStateDict() shares them', (dtype) => {
    const { ps, opt } = train(OPTIMIZERS[0][1], dtype, 1, 8);
    const own = opt.state.get(ps[5]) as Record<string, Uint16Array | Uint8Array | Float32Array>;
    const snapshot = opt.stateDict().state[5] as Record<string, Uint16Array | Uint8Array | Float32Array>;
    const shared = (opt as Adam).zeroCopyStateDict().state[5] as Record<string, Uint16Array | Uint8Array | Float32Array>;
    expect(snapshot.expAvg).toBeInstanceOf(dtype === 'int8' ? Uint8Array : Uint16Array);
    expect(snapshot.expAvg).not.toBe(own.expAvg);
    expect(shared.expAvg).toBe(own.expAvg);
    const before = snapshot.expAvg.slice();
    ps.forEach((p) => (p.grad = new Float32Array(p.data.length).fill(0.5)));
    opt.step();
    expect(own.expAvg).not.toEqual(before); // the step changed the optimizer's words or codes
    expect(snapshot.expAvg).toEqual(before); // ...and not the snapshot's
    if (dtype === 'int8') expect(snapshot.expAvgAbsmax).not.toBe(own.expAvgAbsmax);
  });

  it('a stored-state dict of another optimizer class is refused with both names, the optimizer unchanged', () => {
    const { ps, opt } = train(OPTIMIZERS[0][1], 'int8', 1, 9);
    const sd = opt.stateDict();
    expect(sd.type).toBe('Adam');
    const lion = new Lion(ps, { stateDtype: 'int8' });
    const before = lion.stateDict();
    expect(() => lion.loadStateDict(sd)).toThrow(/stateDict is for Adam, not Lion/);
    expect(lion.stateDict()).toEqual(before);
  });
});

describe('stateDtype refusals', () => {
  const p = (): Parameter[] => [{ data: new Float32Array(4), grad: new Float32Array(4) }];
  it('an unknown or misspelt stateDtype is refused, naming the allowed values', () => {
    expect(() => new AdamW(p(), { stateDtype: 'int4' as never })).toThrow(/'float32', 'bfloat16', 'int8'/);
    expect(() => new AdamW(p(), { stateDtype: 'bf16' as never })).toThrow(RangeError);
    expect(() => new SGD([{ params: p(), stateDtype: 8 as never }])).toThrow(TypeError);
    expect(() => new AdamW(p(), { state_dtype: 'int8' } as never)).toThrow(/did you mean 'stateDtype'/);
    expect(() =>
      functional.adamw([new Float32Array(2)], [new Float32Array(2)], [new Float32Array(2)], [new Float32Array(2)], null, {
        step: 1, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false, stateDtype: 'int16' as never,
      }),
    ).toThrow(/stateDtype must be one of 'float32', 'bfloat16', 'int8'/);
  });

  it('changing stateDtype on a live group throws, explaining the state dict round-trip; the same value is accepted', () => {
    const opt = new AdamW(p(), { stateDtype: 'int8' });
    expect(() => (opt.paramGroups[0].stateDtype = 'float32')).toThrow(/loadStateDict/);
    opt.paramGroups[0].stateDtype = 'int8';
    expect(opt.paramGroups[0].stateDtype).toBe('int8');
  });

  it('wrong stored state types in the functional API name the argument', () => {
    const opts = { step: 1, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false };
    const P = [new Float32Array(300)], G = [new Float32Array(300)];
    expect(() => functional.adamw(P, G, [new Float32Array(300)], [new Uint16Array(300)], null, { ...opts, stateDtype: 'bfloat16' })).toThrow(
      /expAvgs\[0\] must be a Uint16Array/,
    );
    const s = functional.createState(300, 'int8', 256) as functional.Int8State;
    expect(() => functional.adamw(P, G, [s], [{ codes: s.codes, absmax: new Float32Array(1) }], null, { ...opts, stateDtype: 'int8', blockSize: 256 })).toThrow(
      /expAvgSqsAbsmax\[0\] has length 1/,
    );
    expect(() => functional.adamw(P, G, [s], [s], null, { ...opts, stateDtype: 'int8', blockSize: 300 })).toThrow(/blockSize must be one of/);
  });
});

describe('the functional API with stored state', () => {
  it('functional.adamw on int8 and bfloat16 state gives the optimizer class\'s bits', () => {
    for (const dtype of ['int8', 'bfloat16'] as const) {
      const r = rng(11);
      const data = randomArray(10000, r), grads = [randomArray(10000, r), randomArray(10000, r)];
      const p: Parameter = { data: data.slice(), grad: null };
      const opt = new AdamW([p], { lr: 0.01, stateDtype: dtype });
      const fp = data.slice();
      const m = functional.createState(10000, dtype), v = functional.createState(10000, dtype);
      grads.forEach((g, t) => {
        p.grad = g;
        opt.step();
        functional.adamw([fp], [g], [m], [v], null, {
          step: t + 1, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, amsgrad: false, stateDtype: dtype,
        });
      });
      expectBitEqual(fp, p.data, dtype);
    }
  });
});

describe.each(LATER)('%s: stateDtype through the class API', (name, Cls, first, second) => {
  const make = (ps: Parameter[], stateDtype: Dtype) => new Cls(ps, { lr: 0.01, stateDtype });
  it('loadStateDict converts float32 state to int8 and bfloat16 and back; the dict says its format', () => {
    const { ps, opt } = train(make, 'float32', 4, 11);
    const sd = opt.stateDict();
    const int8 = make(ps, 'int8');
    int8.loadStateDict(sd);
    const own = int8.stateDict().state[5] as Record<string, unknown>;
    expect(own.stateFormat).toBe('int8');
    expect(own.blockSize).toBe(DEFAULT_BLOCK_SIZE);
    expect(own[first]).toBeInstanceOf(Uint8Array);
    expect(own[`${second}Absmax`]).toBeInstanceOf(Float32Array);
    expect(int8.stateDict().state[0].stateFormat).toBeUndefined(); // 1 element: below min8bitSize
    if (name === 'NAdam') expect(own.muProduct).toBe(sd.state[5].muProduct); // per-step state stays a number
    const back = make(ps, 'float32');
    back.loadStateDict(int8.stateDict());
    for (const buffer of [first, second]) {
      const original = sd.state[5][buffer] as Float32Array;
      const roundTrip = back.stateDict().state[5][buffer] as Float32Array;
      expect(roundTrip).toBeInstanceOf(Float32Array);
      const absmax = original.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      for (let i = 0; i < original.length; i++) expect(Math.abs(roundTrip[i] - original[i])).toBeLessThanOrEqual(absmax * 0.0072);
    }
    const bf = make(ps, 'bfloat16');
    bf.loadStateDict(sd);
    expect(bf.stateDict().state[5].stateFormat).toBe('bfloat16');
    const f32 = make(ps, 'float32');
    f32.loadStateDict(bf.stateDict());
    for (const buffer of [first, second]) {
      const original = sd.state[5][buffer] as Float32Array;
      const decoded = f32.stateDict().state[5][buffer] as Float32Array;
      for (let i = 0; i < decoded.length; i++) expect(Math.abs(decoded[i] - original[i])).toBeLessThanOrEqual(Math.abs(original[i]) * 2 ** -8);
    }
  });

  it('a misspelt stateDtype is refused naming the allowed values; a live group\'s cannot change', () => {
    const p = (): Parameter[] => [{ data: new Float32Array(4), grad: new Float32Array(4) }];
    expect(() => new Cls(p(), { stateDtype: 'bf16' as never })).toThrow(/stateDtype must be one of 'float32', 'bfloat16', 'int8', got 'bf16'/);
    expect(() => new Cls([{ params: p(), stateDtype: 8 as never }])).toThrow(TypeError);
    const opt = new Cls(p(), { stateDtype: 'bfloat16' });
    expect(() => (opt.paramGroups[0].stateDtype = 'int8')).toThrow(/cannot change on a live group/);
    expect(opt.paramGroups[0].stateDtype).toBe('bfloat16');
  });
});

describe('LAMB keeps float32 state', () => {
  it('stateDtype is refused as an unknown option', () => {
    const p: Parameter[] = [{ data: new Float32Array(4), grad: new Float32Array(4) }];
    expect(() => new LAMB(p, { stateDtype: 'int8' } as never)).toThrow(/stateDtype/);
    expect(() => new LAMB([{ params: p, stateDtype: 'int8' } as never])).toThrow(/stateDtype/);
  });
  it('functional.lamb refuses a stored stateDtype instead of ignoring it, the arrays unchanged', () => {
    const P = [new Float32Array([1, 2])], G = [new Float32Array([0.5, 0.5])], M = [new Float32Array(2)], V = [new Float32Array(2)];
    const opts = { step: 1, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0 };
    expect(() => functional.lamb(P, G, M, V, { ...opts, stateDtype: 'int8' })).toThrow(/lamb keeps float32 state/);
    expect(P[0]).toEqual(new Float32Array([1, 2]));
    functional.lamb(P, G, M, V, { ...opts, stateDtype: 'float32' });
    expect(P[0][0]).not.toBe(1);
  });
});

describe('non-finite gradients with int8 state', () => {
  it('a NaN gradient spoils only its own element: the rest of its block updates as if it were 0 there', () => {
    const r = rng(21);
    const data = randomArray(8192, r), g = randomArray(8192, r);
    const run = (grad: Float32Array) => {
      const p: Parameter = { data: data.slice(), grad: null };
      const opt = new AdamW([p], { lr: 0.01, stateDtype: 'int8' });
      p.grad = g;
      opt.step();
      p.grad = grad;
      opt.step();
      p.grad = g;
      opt.step();
      return { p, state: opt.state.get(p) as Record<string, Uint8Array | Float32Array> };
    };
    const withNaN = g.slice(), withZero = g.slice();
    withNaN[100] = NaN;
    withZero[100] = 0; // element 100 is far from its block's largest moment
    const a = run(withNaN), b = run(withZero);
    expect(Number.isNaN(a.p.data[100])).toBe(true);
    expect(a.state.expAvg[100]).toBe(SIGNED_NAN);
    expect(a.state.expAvgSq[100]).toBe(UNSIGNED_NAN);
    a.p.data[100] = b.p.data[100] = 0;
    expectBitEqual(a.p.data, b.p.data, 'every other element');
    expect(a.state.expAvgAbsmax[0]).toBe(b.state.expAvgAbsmax[0]);
  });

  it('skipIfNonFinite skips the step and leaves int8 state untouched', () => {
    const p: Parameter = { data: new Float32Array(5000).fill(1), grad: new Float32Array(5000).fill(0.5) };
    const opt = new AdamW([p], { stateDtype: 'int8' });
    opt.step();
    const before = opt.stateDict();
    (p.grad as Float32Array)[7] = Infinity;
    expect(opt.step({ skipIfNonFinite: true })).toBe(false);
    expect(opt.stateDict()).toEqual(before);
  });
});

describe('quantization error within the paper\'s bounds', () => {
  // Dynamic tree quantization (Dettmers et al. 2021): relative error of the largest values
  // about 1/2 of the finest fraction step (0.9/128 of absmax in the top decade), and a
  // mean absolute error far below absmax; block-wise scaling isolates outliers.
  const measure = (values: Float32Array, signed: boolean) => {
    const back = dequantize(quantize(values, signed, DEFAULT_BLOCK_SIZE), signed, DEFAULT_BLOCK_SIZE);
    let maxRel = 0, sumAbs = 0, sumMag = 0;
    for (let b = 0; b < values.length; b += DEFAULT_BLOCK_SIZE) {
      const block = values.subarray(b, b + DEFAULT_BLOCK_SIZE);
      const absmax = block.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      for (let i = 0; i < block.length; i++) {
        const err = Math.abs(back[b + i] - block[i]);
        maxRel = Math.max(maxRel, err / absmax);
        sumAbs += err;
        sumMag += Math.abs(block[i]);
      }
    }
    return { maxRel, meanRel: sumAbs / sumMag };
  };
  const r = rng(31);
  const normal = randomArray(1 << 16, r);
  const heavy = Float32Array.from(normal, (x) => x / Math.max(0.05, Math.abs(randomArray(1, r)[0]))); // Cauchy-like tails

  it.each([
    ['normal', normal],
    ['heavy-tailed', heavy],
  ] as const)('signed map on %s data: max error ≤ 0.9/128 of the block absmax, mean relative error < 2%%', (_, values) => {
    const { maxRel, meanRel } = measure(values, true);
    expect(maxRel).toBeLessThanOrEqual(0.9 / 128 + 1e-7);
    expect(meanRel).toBeLessThan(0.02);
  });

  it.each([
    ['normal', normal],
    ['heavy-tailed', heavy],
  ] as const)('unsigned map on squared %s data: max error ≤ 0.9/256 of the block absmax, mean relative error < 3%%', (_, values) => {
    const squares = Float32Array.from(values, (x) => x * x);
    const { maxRel, meanRel } = measure(squares, false);
    expect(maxRel).toBeLessThanOrEqual(0.9 / 256 + 1e-7);
    expect(meanRel).toBeLessThan(0.03);
  });
});

describe('the seed problems converge with quantized state forced onto tiny tensors (min8bitSize: 0)', () => {
  it.each(['bfloat16', 'int8'] as const)('%s: SGD momentum on x² + 10y² ends closer than plain SGD', (stateDtype) => {
    const distance = (momentum: number) => {
      const p: Parameter = { data: new Float32Array([10, 10]), grad: new Float32Array(2) };
      const opt = new SGD([p], { lr: 0.01, momentum, stateDtype, min8bitSize: 0 });
      for (let i = 0; i < 100; i++) {
        p.grad = new Float32Array([2 * p.data[0], 20 * p.data[1]]);
        opt.step();
      }
      return Math.hypot(p.data[0], p.data[1]);
    };
    expect(distance(0.9)).toBeLessThan(distance(0));
    expect(distance(0.9)).toBeLessThan(1);
  });

  const XOR_OPTIMIZERS = [
    ['Adam', (ps: Parameter[], stateDtype: Dtype) => new Adam(ps, { lr: 0.1, stateDtype, min8bitSize: 0 })],
    ['Adadelta', (ps: Parameter[], stateDtype: Dtype) => new Adadelta(ps, { lr: 10, stateDtype, min8bitSize: 0 })],
    ['Adamax', (ps: Parameter[], stateDtype: Dtype) => new Adamax(ps, { lr: 0.1, stateDtype, min8bitSize: 0 })],
    ['NAdam', (ps: Parameter[], stateDtype: Dtype) => new NAdam(ps, { lr: 0.1, stateDtype, min8bitSize: 0 })],
    ['RAdam', (ps: Parameter[], stateDtype: Dtype) => new RAdam(ps, { lr: 0.1, stateDtype, min8bitSize: 0 })],
  ] as const;
  const XOR_CASES = XOR_OPTIMIZERS.flatMap(([name, make]) => (['bfloat16', 'int8'] as const).map((d) => [d, name, make] as const));
  it.each(XOR_CASES)('%s: a 2-2-1 sigmoid network learns XOR with %s to MSE < 0.01 within 2000 steps', (stateDtype, _name, make) => {
    const r = rng(7);
    const w1: Parameter = { data: Float32Array.from({ length: 4 }, () => r() * 2 - 1), grad: null };
    const b1: Parameter = { data: new Float32Array(2), grad: null };
    const w2: Parameter = { data: Float32Array.from({ length: 2 }, () => r() * 2 - 1), grad: null };
    const b2: Parameter = { data: new Float32Array(1), grad: null };
    const opt = make([w1, b1, w2, b2], stateDtype);
    expect(opt.paramGroups[0].min8bitSize).toBe(0);
    const X = [[0, 0], [0, 1], [1, 0], [1, 1]], Y = [0, 1, 1, 0];
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    let mse = Infinity;
    for (let steps = 0; steps < 2000 && mse >= 0.01; steps++) {
      const gw1 = new Float32Array(4), gb1 = new Float32Array(2), gw2 = new Float32Array(2), gb2 = new Float32Array(1);
      mse = 0;
      X.forEach(([a, b], n) => {
        const h = [0, 1].map((j) => sig(w1.data[2 * j] * a + w1.data[2 * j + 1] * b + b1.data[j]));
        const y = sig(w2.data[0] * h[0] + w2.data[1] * h[1] + b2.data[0]);
        const err = y - Y[n];
        mse += (err * err) / 4;
        const dy = (err / 2) * y * (1 - y);
        gb2[0] += dy;
        [0, 1].forEach((j) => {
          gw2[j] += dy * h[j];
          const dh = dy * w2.data[j] * h[j] * (1 - h[j]);
          gb1[j] += dh;
          gw1[2 * j] += dh * a;
          gw1[2 * j + 1] += dh * b;
        });
      });
      [w1.grad, b1.grad, w2.grad, b2.grad] = [gw1, gb1, gw2, gb2];
      opt.step();
    }
    expect((opt.state.get(w1) as Record<string, unknown>).stateFormat).toBe(stateDtype);
    expect(mse).toBeLessThan(0.01);
  });
});

describe('the bfloat16 format', () => {
  it('rounds to nearest, ties to even, keeps NaN quiet with its sign and ±Infinity, overflows to Infinity', async () => {
    const { bf16Bits, bf16Value } = await import('../src/backend/state-format');
    const f = new Float32Array(1), u = new Uint32Array(f.buffer);
    const ofBits = (b: number) => ((u[0] = b), f[0]);
    expect(bf16Bits(ofBits(0x3f808000))).toBe(0x3f80); // tie, even below
    expect(bf16Bits(ofBits(0x3f818000))).toBe(0x3f82); // tie, even above
    expect(bf16Bits(ofBits(0x3f808001))).toBe(0x3f81); // above the tie
    expect(bf16Bits(NaN) & 0x7fc0).toBe(0x7fc0);
    expect(bf16Bits(ofBits(0xffffffff))).toBe(0xffff); // a negative NaN with every payload bit stays NaN
    expect(Number.isNaN(bf16Value(bf16Bits(ofBits(0x7f800001))))).toBe(true); // signalling NaN: not rounded into Infinity
    expect(bf16Value(bf16Bits(Infinity))).toBe(Infinity);
    expect(bf16Value(bf16Bits(-3.4028234e38))).toBe(-Infinity);
    expect(Object.is(bf16Value(bf16Bits(-0)), -0)).toBe(true);
  });

  it('an Infinity gradient with bfloat16 state affects only its own element, like float32 state', () => {
    const r = rng(41);
    const data = randomArray(3000, r), g = randomArray(3000, r);
    const run = (dtype: Dtype, grad: Float32Array) => {
      const p: Parameter = { data: data.slice(), grad };
      new AdamW([p], { lr: 0.01, stateDtype: dtype }).step();
      return p.data;
    };
    const bad = g.slice();
    bad[10] = Infinity;
    const a = run('bfloat16', bad), b = run('bfloat16', g);
    expect(Number.isNaN(a[10])).toBe(true);
    a[10] = b[10] = 0;
    expectBitEqual(a, b, 'other elements');
  });
});

describe('stepAsync with stored state', () => {
  it.each(['bfloat16', 'int8'] as const)('%s: AdamW and SGD momentum over 3 steps off the JS thread give step()\'s bits', async (stateDtype) => {
    const make = () =>
      Array.from({ length: 3 }, (_, k): Parameter => {
        const r = rng(50 + k);
        return { data: randomArray(70000 + k, r), grad: randomArray(70000 + k, r, 0.01) };
      });
    const a = make(), b = make();
    const adamA = new AdamW(a, { stateDtype }), adamB = new AdamW(b, { stateDtype });
    const sgdA = new SGD(a, { lr: 0.01, momentum: 0.9, stateDtype }), sgdB = new SGD(b, { lr: 0.01, momentum: 0.9, stateDtype });
    for (let t = 0; t < 3; t++) {
      adamA.step();
      await adamB.stepAsync();
      sgdA.step();
      await sgdB.stepAsync();
    }
    a.forEach((p, k) => expectBitEqual(b[k].data, p.data, `tensor ${k}`));
    expect(adamB.stateDict()).toEqual(adamA.stateDict());
  });
});
