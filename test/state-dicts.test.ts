// State dicts as snapshots (no later step or change reaches one), typed by the optimizer class,
// loaded atomically.
import { describe, expect, it } from 'vitest';
import {
  Adadelta, Adagrad, Adam, Adamax, AdamW, ChainedScheduler, ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts,
  CyclicLR, EarlyStopping, ExponentialLR, LAMB, LambdaLR, LinearLR, Lion, Lookahead, MultiplicativeLR, MultiStepLR,
  NAdam, OneCycleLR, PolynomialLR, RAdam, ReduceLROnPlateau, RMSprop, SequentialLR, SGD, StepLR,
  type LRScheduler, type Optimizer, type Parameter, type StateDict,
} from '../src';
import { randomArray, rng } from './helpers';

type AnyOptimizer = Optimizer<object>;

const OPTIMIZERS: [string, (params: Parameter[]) => AnyOptimizer][] = [
  ['SGD', (p) => new SGD(p, { lr: 0.1, momentum: 0.9 })],
  ['Adagrad', (p) => new Adagrad(p)],
  ['RMSprop', (p) => new RMSprop(p, { centered: true, momentum: 0.5 })],
  ['Adadelta', (p) => new Adadelta(p)],
  ['Adam', (p) => new Adam(p, { amsgrad: true })],
  ['AdamW', (p) => new AdamW(p)],
  ['Adamax', (p) => new Adamax(p)],
  ['NAdam', (p) => new NAdam(p)],
  ['RAdam', (p) => new RAdam(p)],
  ['LAMB', (p) => new LAMB(p)],
  ['Lion', (p) => new Lion(p)],
];

function params(seed: number, lengths = [5, 17]): Parameter[] {
  const r = rng(seed);
  return lengths.map((n) => ({ data: randomArray(n, r), grad: randomArray(n, r) }));
}

/** New gradients, then a step. */
function stepWith(opt: { step(): boolean; paramGroups: { params: Parameter[] }[] }, seed: number): void {
  const r = rng(seed);
  for (const g of opt.paramGroups) for (const p of g.params) p.grad = randomArray(p.data.length, r);
  opt.step();
}

describe('stateDict() is a snapshot no later step changes', () => {
  it.each(OPTIMIZERS)('%s: state, step counts and options stay as they were taken', (_name, make) => {
    const opt = make(params(1));
    stepWith(opt, 2);
    const sd = opt.stateDict();
    const copy = structuredClone(sd);
    stepWith(opt, 3);
    stepWith(opt, 4);
    const group = opt.paramGroups[0] as Record<string, unknown>;
    group.lr = 123;
    if (Array.isArray(group.betas)) group.betas[0] = 0.5; // in place, as a user might
    expect(sd).toEqual(copy);
    // and the snapshot is not the optimizer's own memory either way
    (sd.state[0] as Record<string, unknown>).step = 99;
    for (const v of Object.values(sd.state[0])) if (v instanceof Float32Array) v.fill(7);
    expect(opt.stateDict().state[0]).not.toEqual(sd.state[0]);
  });

  it('zeroCopyStateDict() shares the buffers (the next step moves them) but not the counts', () => {
    const opt = new Adam(params(5));
    stepWith(opt, 6);
    const live = opt.zeroCopyStateDict();
    const before = (live.state[0].expAvg as Float32Array).slice();
    stepWith(opt, 7);
    expect(live.state[0].expAvg).not.toEqual(before);
    expect(live.state[0].expAvg).toBe(opt.state.get(opt.paramGroups[0].params[0])?.expAvg);
    expect(live.state[0].step).toBe(1);
    expect(live.type).toBe('Adam');
  });

  it('Lookahead: the inner state and the slow weights stay as they were taken', () => {
    const opt = new Lookahead(new Adam(params(8)), { k: 2 });
    stepWith(opt, 9);
    const sd = opt.stateDict();
    const copy = structuredClone(sd);
    for (let s = 10; s < 14; s++) stepWith(opt, s); // two syncs move the slow weights
    expect(sd).toEqual(copy);
    expect(opt.stateDict().slow).not.toEqual(copy.slow);
  });

  const optimizer = () => new SGD([{ data: new Float32Array(1), grad: new Float32Array(1) }, ], { lr: 0.1, momentum: 0.9 });
  const SCHEDULERS: [string, (o: SGD) => LRScheduler][] = [
    ['StepLR', (o) => new StepLR(o, { stepSize: 2 })],
    ['MultiStepLR', (o) => new MultiStepLR(o, { milestones: [2, 4] })],
    ['ConstantLR', (o) => new ConstantLR(o)],
    ['LinearLR', (o) => new LinearLR(o)],
    ['ExponentialLR', (o) => new ExponentialLR(o, { gamma: 0.9 })],
    ['PolynomialLR', (o) => new PolynomialLR(o)],
    ['CosineAnnealingLR', (o) => new CosineAnnealingLR(o, { tMax: 10 })],
    ['CosineAnnealingWarmRestarts', (o) => new CosineAnnealingWarmRestarts(o, { t0: 2 })],
    ['OneCycleLR', (o) => new OneCycleLR(o, { maxLr: 1, totalSteps: 20 })],
    ['CyclicLR', (o) => new CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2 })],
    ['LambdaLR', (o) => new LambdaLR(o, { lrLambda: (e) => 1 / (e + 1) })],
    ['MultiplicativeLR', (o) => new MultiplicativeLR(o, { lrLambda: () => 0.9 })],
    ['SequentialLR', (o) => new SequentialLR(o, { schedulers: [new ConstantLR(o), new StepLR(o, { stepSize: 1 })], milestones: [2] })],
    ['ChainedScheduler', (o) => new ChainedScheduler(o, { schedulers: [new ExponentialLR(o, { gamma: 0.9 }), new StepLR(o, { stepSize: 2 })] })],
  ];

  it.each(SCHEDULERS)('%s', (_name, make) => {
    const s = make(optimizer());
    s.step();
    const sd = s.stateDict();
    const copy = structuredClone(sd);
    for (let i = 0; i < 5; i++) s.step();
    expect(sd).toEqual(copy);
    expect(s.stateDict()).not.toEqual(copy);
  });

  it('ReduceLROnPlateau', () => {
    const s = new ReduceLROnPlateau(optimizer(), { patience: 0 });
    s.step(1);
    const sd = s.stateDict();
    const copy = structuredClone(sd);
    for (let i = 0; i < 5; i++) s.step(2);
    expect(sd).toEqual(copy);
    expect(s.stateDict()).not.toEqual(copy);
  });

  it('EarlyStopping', () => {
    const e = new EarlyStopping({ patience: 2 });
    e.step(1);
    const sd = e.stateDict();
    const copy = structuredClone(sd);
    e.step(0.5);
    e.step(0.7);
    expect(sd).toEqual(copy);
    expect(e.stateDict()).not.toEqual(copy);
  });
});

describe('state dicts record the optimizer class', () => {
  it.each(OPTIMIZERS)('%s records its class name', (name, make) => {
    expect(make(params(1)).stateDict().type).toBe(name);
  });

  it('a subclass of a built-in optimizer records (and loads) the built-in one', () => {
    class MyAdam extends Adam {}
    const sd = new Adam(params(1)).stateDict();
    expect(new MyAdam(params(1)).stateDict().type).toBe('Adam');
    expect(() => new MyAdam(params(1)).loadStateDict(sd)).not.toThrow();
  });

  it("another class's state is refused, naming both, and nothing changes", () => {
    const adam = new Adam(params(1));
    stepWith(adam, 2);
    const sgd = new SGD(params(1), { momentum: 0.9 });
    stepWith(sgd, 3);
    const before = sgd.stateDict();
    expect(() => sgd.loadStateDict(adam.stateDict())).toThrow(TypeError);
    expect(() => sgd.loadStateDict(adam.stateDict())).toThrow('stateDict is for Adam, not SGD');
    expect(() => adam.loadStateDict(sgd.stateDict())).toThrow('stateDict is for SGD, not Adam');
    expect(() => new AdamW(params(1)).loadStateDict(adam.stateDict())).toThrow('stateDict is for Adam, not AdamW');
    expect(sgd.stateDict()).toEqual(before);
    expect(sgd.paramGroups[0]).not.toHaveProperty('betas');
  });

  it("Lookahead refuses an optimizer's state dict, and its inner optimizer another class's", () => {
    const look = new Lookahead(new Adam(params(1)));
    expect(() => look.loadStateDict(new Adam(params(1)).stateDict() as never)).toThrow('stateDict is for Adam, not Lookahead');
    const other = new Lookahead(new SGD(params(1))).stateDict();
    expect(() => look.loadStateDict(other)).toThrow('stateDict is for SGD, not Adam');
    expect(new Lookahead(new Adam(params(1))).stateDict().type).toBe('Lookahead');
  });

  describe('a state dict without a type (written before it was recorded)', () => {
    const untyped = (sd: StateDict): StateDict => {
      const { type: _type, ...rest } = sd;
      return rest;
    };

    it('loads when its groups name only this optimizer\'s options, and resumes exactly', () => {
      const a = new Adam(params(1));
      stepWith(a, 2);
      const b = new Adam(params(1));
      b.loadStateDict(untyped(a.stateDict()));
      stepWith(a, 3);
      stepWith(b, 3);
      expect(b.stateDict()).toEqual(a.stateDict());
    });

    it("is refused when its groups hold another optimizer's options, and nothing changes", () => {
      const adam = new Adam(params(1));
      stepWith(adam, 2);
      const sgd = new SGD(params(1), { momentum: 0.9 });
      const before = sgd.stateDict();
      expect(() => sgd.loadStateDict(untyped(adam.stateDict()))).toThrow(/option 'betas', which SGD does not have/);
      expect(() => adam.loadStateDict(untyped(sgd.stateDict()))).toThrow(/option 'momentum', which Adam does not have/);
      expect(sgd.stateDict()).toEqual(before);
    });
  });

  it('a state dict carrying a misspelt option is refused with the hint', () => {
    const opt = new Adam(params(1));
    const sd = opt.stateDict();
    (sd.paramGroups[0] as Record<string, unknown>).weight_decay = 0.1;
    expect(() => opt.loadStateDict(sd)).toThrow(/weight_decay.*did you mean 'weightDecay'/);
    expect(opt.paramGroups[0]).not.toHaveProperty('weight_decay');
  });
});
