// An optimizer reuses last step's lists and the addon's unwrapped pointers while nothing has
// changed (src/optim/group-call.ts). These tests change, between steps, every thing the reuse
// depends on, and compare with a reference optimizer rebuilt from its state dict before every
// step (so it never reuses anything). And the pool, which now hands out fixed parts to whichever
// thread claims them first, must give the same bits every time.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Adam, AdamW, LAMB, NAdam, type Parameter, type ParamGroup, type ParamState, RMSprop, SGD, functional, gradNorm, setThreads,
} from '../src';
import { expectBitEqual, machineIsas, onIsa, onJs, randomArray, rng } from './helpers';

type Make = (groups: ParamGroup[]) => {
  step(): boolean;
  stateDict(): ReturnType<AdamW['stateDict']>;
  loadStateDict(sd: ReturnType<AdamW['stateDict']>): void;
  state: Map<Parameter, ParamState>;
  paramGroups: ParamGroup[];
};

const OPTIMIZERS: [string, Make][] = [
  ['AdamW', (g) => new AdamW(g, { lr: 0.01 })],
  ['Adam amsgrad', (g) => new Adam(g, { lr: 0.01, amsgrad: true, weightDecay: 0.1 })],
  ['NAdam', (g) => new NAdam(g, { lr: 0.01 })],
  ['LAMB', (g) => new LAMB(g, { lr: 0.01 })],
  ['RMSprop centered momentum', (g) => new RMSprop(g, { lr: 0.01, centered: true, momentum: 0.9 })],
  ['SGD momentum', (g) => new SGD(g, { lr: 0.01, momentum: 0.9 })],
];

const LENGTHS = [5, 17, 64, 1000, 33];

function model(seed: number): Parameter[] {
  const random = rng(seed);
  return LENGTHS.map((n) => ({ data: randomArray(n, random), grad: randomArray(n, random, 0.1) }));
}

/** The same model twice, in two groups (the second with its own lr). */
function twin(seed: number) {
  const split = (ps: Parameter[]): ParamGroup[] => [{ params: ps.slice(0, 3) }, { params: ps.slice(3), lr: 0.003 }];
  return { a: model(seed), b: model(seed), split };
}

/** Changes to make between steps, applied identically to both models' parameters and optimizers. */
const CHANGES: [string, (ps: Parameter[], opt: ReturnType<Make>, step: number) => void][] = [
  ['new gradient arrays', (ps, _, s) => ps.forEach((p, i) => (p.grad = randomArray(p.data.length, rng(100 * s + i), 0.1)))],
  ['gradients rewritten in place', (ps, _, s) => ps.forEach((p, i) => p.grad?.set(randomArray(p.data.length, rng(100 * s + i), 0.1)))],
  ['a new data array', (ps) => (ps[1].data = ps[1].data.slice())],
  ['a parameter without gradient', (ps, _, s) => (ps[2].grad = s % 2 === 0 ? null : new Float32Array(ps[2].data.length).fill(0.05))],
  [
    'a state buffer replaced',
    (ps, opt) => {
      const s = opt.state.get(ps[3]);
      if (s === undefined) return;
      const name = Object.keys(s).find((k) => s[k] instanceof Float32Array) as string;
      s[name] = (s[name] as Float32Array).map((x) => x * 0.5);
    },
  ],
  ['a state object replaced', (ps, opt) => opt.state.has(ps[0]) && opt.state.set(ps[0], { ...structuredClone(opt.state.get(ps[0])) })],
  ['a parameter added to a group', (ps, opt, s) => s === 3 && opt.paramGroups[1].params.push(ps.at(-1) as Parameter)],
  ['nothing', () => undefined],
];

describe.each(OPTIMIZERS)('%s reuses its lists only while nothing changed', (_, make) => {
  it.each(CHANGES)('between steps: %s', (__, change) => {
    const run = () => {
      const { a, b, split } = twin(7);
      // b's extra parameter joins a group at step 3 (the 'added' change), a fresh one per model.
      a.push({ data: randomArray(9, rng(1)), grad: randomArray(9, rng(2)) });
      b.push({ data: randomArray(9, rng(1)), grad: randomArray(9, rng(2)) });
      const kept = make(split(a.slice(0, -1)));
      let reference = make(split(b.slice(0, -1)));
      for (let s = 0; s < 6; s++) {
        change(a, kept, s);
        change(b, reference, s);
        kept.step();
        // Rebuilt from its state dict: no list, cache or handle survives from the last step.
        const groups = reference.paramGroups.map((g) => ({ ...g, params: [...g.params] }));
        const sd = reference.stateDict();
        reference = make(groups);
        reference.loadStateDict(sd);
        reference.step();
      }
      a.forEach((p, i) => expectBitEqual(p.data, b[i].data, `param ${i}`));
    };
    onIsa(machineIsas().at(-1) as string, run);
    onJs(run);
  });
});

describe('a buffer detached between steps', () => {
  it('is refused before any group runs, and the next good step works', () => {
    const ps = model(3);
    const opt = new AdamW([{ params: ps.slice(0, 2) }, { params: ps.slice(2) }]);
    opt.step();
    opt.step();
    const victim = ps[4].grad as Float32Array;
    structuredClone(victim.buffer, { transfer: [victim.buffer as ArrayBuffer] });
    const before = ps.map((p) => p.data.slice());
    expect(() => opt.step()).toThrow(/grads\[2\] \(paramGroups\[1\]\.params\[2\]\) has a detached buffer/);
    ps.forEach((p, i) => expectBitEqual(p.data, before[i], `param ${i}`));
    ps[4].grad = new Float32Array(ps[4].data.length).fill(0.1);
    expect(opt.step()).toBe(true);
    expect(ps[0].data[0]).not.toBe(before[0][0]);
  });
});

describe('user code cannot run between the length check and the backend calls', () => {
  it('a grad getter that transfers the data buffer at its last read is caught before any update', () => {
    const n = 1 << 16;
    const data = new Float32Array(n).fill(1), grad = new Float32Array(n).fill(0.5);
    let reads = 0, transferAt = -1, stolen: ArrayBuffer | null = null;
    const p = {
      data,
      get grad() {
        if (++reads === transferAt) stolen = structuredClone(data.buffer, { transfer: [data.buffer as ArrayBuffer] });
        return grad;
      },
    } as unknown as Parameter;
    const opt = new Adam([p], { lr: 0.1 });
    opt.step(); // the handle is pinned now
    reads = 0;
    opt.step({ skipIfNonFinite: true });
    // The last read of a step is the non-finite check's; the lengths are verified after it.
    transferAt = reads;
    reads = 0;
    const before = data[0];
    expect(() => opt.step({ skipIfNonFinite: true })).toThrow('params[0] (paramGroups[0].params[0]) has a detached buffer');
    expect(stolen).not.toBeNull();
    expect(new Float32Array(stolen as unknown as ArrayBuffer)[0]).toBe(before);
  });
});

describe('errors from a class name the parameter as the user knows it', () => {
  it('a call-local index becomes paramGroups[g].params[i] and the parameter name', () => {
    const ps: Parameter[] = [5, 6, 7].map((n, i) => ({ data: new Float32Array(n), grad: new Float32Array(n), name: `w${i}` }));
    const opt = new AdamW([{ params: [ps[0]] }, { params: ps.slice(1) }]);
    opt.step();
    (ps[1] as Parameter).grad = null; // the update's lists now start at ps[2]
    ps[2].grad = new Float32Array(8);
    expect(() => opt.step()).toThrow("grads[0] (paramGroups[1].params[1] 'w2') has length 8, params[0] has length 7");
  });

  it('NAdam with parameters at different μ products (one call each) names the right one', () => {
    const mk = (name: string): Parameter => ({ name, data: new Float32Array(8), grad: new Float32Array(8).fill(1) });
    const a = mk('a'), b = mk('b');
    const opt = new NAdam([a, b]);
    opt.step();
    (opt.state.get(a) as Record<string, number>).muProduct = 0.5;
    b.grad = new Float32Array(9);
    expect(() => opt.step()).toThrow("grads[1] (paramGroups[0].params[1] 'b') has length 9, params[1] has length 8");
  });

  it('carry the tensor and the parameter as fields: the argument, its index, the group, the index there, the name', () => {
    const ps: Parameter[] = [5, 6, 7].map((n, i) => ({ data: new Float32Array(n), grad: new Float32Array(n), name: `w${i}` }));
    const opt = new AdamW([{ params: [ps[0]] }, { params: ps.slice(1) }]);
    opt.step();
    ps[1].grad = null;
    ps[2].grad = new Float32Array(8);
    const error = caught(() => opt.step());
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({
      argument: 'grads', index: 0, problem: ['has length 8, ', { argument: 'params', index: 0 }, ' has length 7'],
      param: { group: 1, index: 1, name: 'w2' },
    });
  });

  it('NAdam at two μ products: the fields give the index in the whole group, for both tensors named', () => {
    const mk = (name: string): Parameter => ({ name, data: new Float32Array(8), grad: new Float32Array(8).fill(1) });
    const a = mk('a'), b = mk('b');
    const opt = new NAdam([a, b]);
    opt.step();
    (opt.state.get(a) as Record<string, number>).muProduct = 0.5;
    b.grad = new Float32Array(9);
    expect(caught(() => opt.step())).toMatchObject({
      argument: 'grads', index: 1, problem: ['has length 9, ', { argument: 'params', index: 1 }, ' has length 8'],
      param: { group: 0, index: 1, name: 'b' },
    });
  });

  it('from a functional call: the same fields, no parameter; a type error stays a TypeError', () => {
    const x = [new Float32Array(4)];
    const error = caught(() => functional.sgd(x, [new Float64Array(4) as never], null, SGD_OPTIONS));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ message: 'grads[0] must be a Float32Array', argument: 'grads', index: 0 });
    expect((error as { param?: unknown }).param).toBeUndefined();
    const shared = new Float32Array(8);
    expect(caught(() => functional.sgd([shared.subarray(0, 4)], [shared.subarray(2, 6)], null, SGD_OPTIONS))).toMatchObject({
      argument: 'grads', index: 0, problem: ['overlaps ', { argument: 'params', index: 0 }, ' in memory; the update would corrupt one of them'],
    });
  });
});

describe('the pool: parts go to whichever thread claims them, the results stay the same', () => {
  afterEach(() => setThreads(2));

  // Enough elements for several parts of 32K, in tensors whose edges fall anywhere in a part.
  const random = rng(11);
  const lengths = Array.from({ length: 200 }, (_, i) => (i % 17 === 0 ? 0 : 1 + Math.floor(random() * 3000)));
  const fresh = (seed: number) => {
    const r = rng(seed);
    return lengths.map((n) => ({ data: randomArray(n, r), grad: randomArray(n, r, 0.1) }));
  };

  it('AdamW over 200 tensors: bit-identical to the TS backend on 2 threads, run after run', () => {
    setThreads(2);
    const ref = fresh(5);
    onJs(() => {
      const opt = new AdamW(ref, { lr: 0.01 });
      for (let s = 0; s < 3; s++) opt.step();
    });
    for (let run = 0; run < 3; run++) {
      const ps = fresh(5);
      const opt = new AdamW(ps, { lr: 0.01 });
      for (let s = 0; s < 3; s++) opt.step();
      ps.forEach((p, i) => expectBitEqual(p.data, ref[i].data, `run ${run} param ${i}`));
    }
  });

  it('LAMB trust ratios and gradNorm are deterministic across runs on 2 threads', () => {
    setThreads(2);
    const results = [0, 1, 2].map(() => {
      const ps = fresh(9);
      const opt = new LAMB(ps, { lr: 0.01, weightDecay: 0.01 });
      for (let s = 0; s < 3; s++) opt.step();
      return { data: ps.map((p) => p.data), norm: gradNorm(ps.map((p) => p.data)) };
    });
    for (const r of results.slice(1)) {
      expect(r.norm).toBe(results[0].norm);
      r.data.forEach((d, i) => expectBitEqual(d, results[0].data[i], `param ${i}`));
    }
  });

  it('functional.scale over 200 tensors touches every element exactly once', () => {
    setThreads(2);
    const xs = lengths.map((n) => new Float32Array(n).fill(1));
    for (let s = 0; s < 5; s++) functional.scale(xs, 2);
    xs.forEach((x, i) => expect(x.every((v) => v === 32), `tensor ${i}`).toBe(true));
  });
});

const SGD_OPTIONS = { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false };

/** What `f` throws. */
function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}
