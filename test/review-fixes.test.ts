// Regressions found in review: each test failed (or crashed) before its fix.
import { describe, expect, it } from 'vitest';
import {
  Adam, AdamW, clipCoefficient, clipGradNorm, CosineAnnealingLR, functional, Lookahead, NAdam, SGD, type Parameter,
} from '../src';
import { expectBitEqual, expectClose, kernelTargets, onJs, onTarget, randomArray, rng } from './helpers';

describe('non-finite gradients in the fused clip-and-skip pattern', () => {
  it('a NaN gradient makes step({ gradScale: coefficient, skipIfNonFinite }) skip, not throw', () => {
    const p: Parameter = { data: new Float32Array([1, 2]), grad: new Float32Array([Number.NaN, 1]) };
    const opt = new AdamW([p]);
    const { coefficient } = clipCoefficient([p], 1);
    expect(coefficient).toBeNaN();
    expect(opt.step({ gradScale: coefficient, skipIfNonFinite: true })).toBe(false);
    expect([...p.data]).toEqual([1, 2]);
  });

  it('clipGradNorm of a NaN gradient makes every gradient NaN, as torch does', () => {
    const g = [new Float32Array([Number.NaN, 1]), new Float32Array([3])];
    expect(clipGradNorm(g, 1)).toBeNaN();
    expect(g.flatMap((x) => [...x]).every(Number.isNaN)).toBe(true);
  });
});

describe('the per-group cache trusts only the engine', () => {
  it('a shadowed length cannot hide a detached buffer from a pinned handle', () => {
    const n = 1 << 12;
    const data = new Float32Array(n).fill(1);
    Object.defineProperty(data, 'length', { value: n });
    const p: Parameter = { data, grad: new Float32Array(n).fill(1) };
    const opt = new SGD([p], { lr: 0.5 });
    opt.step();
    opt.step();
    structuredClone(data.buffer, { transfer: [data.buffer as ArrayBuffer] });
    // The lie makes the array go through a plain view each step, so it is validated each step.
    expect(() => opt.step()).toThrow(/params\[0\] \(paramGroups\[0\]\.params\[0\]\) has a detached buffer/);
  });

  it('an object that only inherits Float32Array.prototype is not a tensor', () => {
    const fake = Object.create(Float32Array.prototype) as Float32Array;
    expect(() => functional.scale([fake], 2)).toThrow(/tensors\[0\] must be a Float32Array/);
  });
});

describe('functional.sgd with some momentum buffers still null', () => {
  it('checks overlaps across all tensors and names the caller\'s index', () => {
    const p0 = new Float32Array(4).fill(1), p1 = new Float32Array(4).fill(1);
    const before = p1.slice();
    const options = { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, maximize: false };
    expect(() => functional.sgd([p0, p1], [new Float32Array(4), new Float32Array(4)], [p1, null], options)).toThrow(
      /momentumBuffers\[0\] overlaps params\[1\]|params\[1\] overlaps momentumBuffers\[0\]/,
    );
    expectBitEqual(p1, before, 'p1');
    expect(() => functional.sgd([p0, p1], [new Float32Array(4), new Float32Array(4)], [null, new Float32Array(3)], options)).toThrow(
      /momentumBuffers\[1\] has length 3/,
    );
  });
});

describe('NAdam keeps the μ product per parameter', () => {
  it('a parameter that missed steps while beta1 changed matches one stepped alone', () => {
    const r = rng(3);
    const a: Parameter = { data: randomArray(5, r), grad: null };
    const b: Parameter = { data: randomArray(5, r), grad: null };
    const bAlone: Parameter = { data: b.data.slice(), grad: null };
    const grads = Array.from({ length: 6 }, () => randomArray(5, r));
    const both = new NAdam([a, b]);
    const alone = new NAdam([bAlone]);
    const beta1s = [0.9, 0.8, 0.7, 0.85, 0.9, 0.95];
    // b misses steps 1 and 2; alone, b sees the betas of the steps b actually takes.
    let t = 0;
    for (const [i, g] of grads.entries()) {
      both.paramGroups[0].betas = [beta1s[i], 0.999];
      a.grad = g;
      b.grad = i === 1 || i === 2 ? null : g;
      both.step();
      if (b.grad) {
        alone.paramGroups[0].betas = [beta1s[i], 0.999];
        bAlone.grad = g;
        alone.step();
        t++;
      }
    }
    expect(t).toBe(4);
    expectBitEqual(b.data, bAlone.data, 'b');
  });
});

describe('Lookahead', () => {
  it('takes its slow weights at the first step, so weights loaded after construction count', () => {
    const p: Parameter = { data: new Float32Array([0, 0]), grad: new Float32Array(2) };
    const opt = new Lookahead(new SGD([p], { lr: 0.1 }), { k: 2, alpha: 0.5 });
    p.data.set([10, 10]);
    opt.step();
    opt.step();
    expect([...p.data]).toEqual([10, 10]);
  });

  it('moves the slow weights alpha of the way every k steps (reference arithmetic)', () => {
    const p: Parameter = { data: new Float32Array([1]), grad: new Float32Array([1]) };
    const opt = new Lookahead(new SGD([p], { lr: 0.1 }), { k: 3, alpha: 0.5 });
    let fast = 1, slow = 1;
    for (let t = 1; t <= 7; t++) {
      opt.step();
      fast -= 0.1;
      if (t % 3 === 0) fast = slow = slow + 0.5 * (fast - slow);
      expectClose(p.data, [fast], `step ${t}`, 1e-6, 1e-7);
    }
  });

  it('drives a scheduler (types and values)', () => {
    const p: Parameter = { data: new Float32Array(1), grad: new Float32Array(1) };
    const opt = new Lookahead(new Adam([p], { lr: 0.1 }));
    const schedule = new CosineAnnealingLR(opt, { tMax: 10 });
    opt.step();
    schedule.step();
    expect(opt.paramGroups[0].lr).toBeLessThan(0.1);
  });

  it('refuses a checkpoint made with another k or alpha', () => {
    const p: Parameter = { data: new Float32Array(1), grad: new Float32Array(1) };
    const sd = new Lookahead(new Adam([p]), { k: 5 }).stateDict();
    expect(() => new Lookahead(new Adam([p]), { k: 2 }).loadStateDict(sd)).toThrow(/k=5/);
  });
});

describe('misspelt and overflowing options are refused', () => {
  const p = (): Parameter => ({ data: new Float32Array([1]), grad: new Float32Array([1]) });
  it('unknown constructor, group and step options', () => {
    expect(() => new AdamW([p()], { weight_decay: 0.5 } as never)).toThrow(/no option 'weight_decay' \(did you mean 'weightDecay'\?\)/);
    expect(() => new AdamW([{ params: [p()], learningRate: 0.5 }])).toThrow(/paramGroups\[0\] has no option 'learningRate'/);
    expect(() => new AdamW([p()]).step({ skipIfNonfinite: true } as never)).toThrow(/did you mean 'skipIfNonFinite'/);
    expect(new AdamW([p()], { lr: undefined }).paramGroups[0].lr).toBe(1e-3);
  });

  it('defaults are copied, not shared between optimizers', () => {
    const a = new Adam([p()]);
    expect(() => ((a.defaults.betas as number[])[0] = 0.1)).toThrow(TypeError);
    a.paramGroups[0].betas[0] = 0.5;
    expect(new Adam([p()]).paramGroups[0].betas[0]).toBe(0.9);
  });

  it('hyperparameters whose derived scalars overflow are refused before any group runs', () => {
    const a = p(), b = p();
    const opt = new AdamW([{ params: [a] }, { params: [b], lr: 1e200, weightDecay: 1e200 }]);
    expect(() => opt.step()).toThrow(/paramDecay is -Infinity: the hyperparameters overflow/);
    expect([a.data[0], b.data[0]]).toEqual([1, 1]);
    expect(opt.state.size).toBe(0);
  });

  it('a state dict with a repeated parameter index is refused', () => {
    const opt = new Adam([p(), p()]);
    opt.step();
    const sd = opt.stateDict();
    sd.paramGroups[0].params = [1, 1];
    expect(() => opt.loadStateDict(sd)).toThrow(/parameter index used once/);
  });
});

describe.each([...kernelTargets(), 'js'])('arrays and lists that lie, on %s', (target) => {
  const on = <T>(fn: () => T): T => (target === 'js' ? onJs(fn) : onTarget(target, fn));

  it('a subclass whose length lies is updated exactly over its real elements', () => {
    class Lying extends Float32Array {
      override get length(): number {
        return 3;
      }
    }
    const make = (Kind: Float32ArrayConstructor) => ({ data: new Kind(70).fill(1), grad: new Kind(70).fill(0.5) });
    const lying = make(Lying as Float32ArrayConstructor), plain = make(Float32Array);
    on(() => {
      for (const p of [lying, plain]) {
        const opt = new AdamW([p], { lr: 0.1 });
        opt.step();
        opt.step();
      }
    });
    expectBitEqual(new Float32Array(lying.data), plain.data, 'data');
  });

  it('a list whose elements are getters is read once: the checks and the kernel see the same arrays', () => {
    const target = new Float32Array(8).fill(1), grad = new Float32Array(8).fill(1);
    let reads = 0;
    const params = [target];
    // The first read shows the checks a harmless array; a second read would hand the kernel the gradient.
    Object.defineProperty(params, 0, { get: () => (reads++ === 0 ? target : grad) });
    on(() => functional.scale(params, 2));
    expect(reads).toBe(1);
    expect([...target]).toEqual(Array(8).fill(2));
    expect([...grad]).toEqual(Array(8).fill(1));
  });

  it("a step's bookkeeping runs after every group's update, so a setter cannot pull memory from under a later group", () => {
    const first: Parameter = { data: new Float32Array([1]), grad: new Float32Array([1]) };
    const second: Parameter = { data: new Float32Array(16).fill(1), grad: new Float32Array(16).fill(1) };
    const opt = new AdamW([{ params: [first] }, { params: [second] }], { lr: 0.1 });
    on(() => opt.step());
    const state = opt.state.get(first) as Record<string, unknown>;
    let step = state.step as number;
    let moved: ArrayBuffer | undefined;
    Object.defineProperty(state, 'step', {
      get: () => step,
      set: (v: number) => {
        step = v;
        moved = structuredClone(second.data.buffer as ArrayBuffer, { transfer: [second.data.buffer as ArrayBuffer] });
      },
    });
    on(() => opt.step());
    expect(step).toBe(2);
    expect((opt.state.get(second) as Record<string, unknown>).step).toBe(2);
    const reference: Parameter = { data: new Float32Array(16).fill(1), grad: new Float32Array(16).fill(1) };
    const alone = new AdamW([reference], { lr: 0.1 });
    on(() => (alone.step(), alone.step()));
    expectBitEqual(new Float32Array(moved as ArrayBuffer), reference.data, 'the later group, after two steps');
  });
});

// A second review's findings: user code that could still run, or lie, between the length check
// and a native call that reuses pointers; and buffers whose length changes without a detach.
describe('nothing the user replaces can hide a detached buffer from a pinned handle', () => {
  const warmedUp = (n = 4096) => {
    const p: Parameter = { data: new Float32Array(n).fill(1), grad: new Float32Array(n).fill(1) };
    const opt = new AdamW([p], { lr: 0.1 });
    opt.step();
    opt.step();
    return { p, opt };
  };
  const transfer = (a: Float32Array) => structuredClone(a.buffer as ArrayBuffer, { transfer: [a.buffer as ArrayBuffer] });

  it('a replaced array iterator that detaches at any point of a step never lets a kernel write the moved memory', () => {
    const iteratorProto = Object.getPrototypeOf([][Symbol.iterator]()) as { next: () => unknown };
    const next = iteratorProto.next;
    let detached = 0;
    for (let k = 1; k <= 40; k++) {
      const { p, opt } = warmedUp();
      let calls = 0, moved: ArrayBuffer | undefined, valueThen = Number.NaN;
      iteratorProto.next = function (this: unknown) {
        if (++calls === k && moved === undefined) {
          valueThen = p.data[0];
          moved = transfer(p.data);
        }
        return next.call(this);
      };
      try {
        opt.step();
      } catch (e) {
        expect((e as Error).message).toMatch(/detached buffer|has 0/);
      } finally {
        iteratorProto.next = next;
      }
      if (moved === undefined) continue;
      detached++;
      expect(new Float32Array(moved)[0], `detached at iterator call ${k}`).toBe(valueThen);
    }
    expect(detached).toBeGreaterThan(3);
  });

  it('a global Float32Array replaced during a step does not make the private views trust a frozen length', () => {
    const { p, opt } = warmedUp(1024);
    const Real = Float32Array;
    function Patched(...args: unknown[]) {
      const a = new (Real as unknown as new (...x: unknown[]) => Float32Array)(...args);
      Object.defineProperty(a, 'length', { value: a.length });
      return a;
    }
    Patched.prototype = Real.prototype;
    (globalThis as { Float32Array: unknown }).Float32Array = Patched;
    try {
      p.grad = new Real(1024).fill(1); // new lists: new private views are made during this step
      opt.step();
    } finally {
      (globalThis as { Float32Array: unknown }).Float32Array = Real;
    }
    opt.step();
    const moved = transfer(p.data);
    const before = new Real(moved)[0];
    expect(() => opt.step()).toThrow(/detached buffer/);
    expect(new Real(moved)[0]).toBe(before);
  });

  it('a patched TypedArray.prototype.length makes the check use the engine getter', () => {
    const { p, opt } = warmedUp(64);
    const proto = Object.getPrototypeOf(Float32Array.prototype) as object;
    const descriptor = Object.getOwnPropertyDescriptor(proto, 'length') as PropertyDescriptor;
    const moved = transfer(p.data);
    const before = new Float32Array(moved)[0];
    Object.defineProperty(proto, 'length', { ...descriptor, get: () => 64 });
    try {
      expect(() => opt.step()).toThrow(/detached buffer/);
    } finally {
      Object.defineProperty(proto, 'length', descriptor);
    }
    expect(new Float32Array(moved)[0]).toBe(before);
  });
});

describe('buffers whose length changes without a detach', () => {
  it('a length-tracking view on a growable SharedArrayBuffer that grew is refused, not half updated', () => {
    const Growable = SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => SharedArrayBuffer & {
      grow(n: number): void;
    };
    const dataBuffer = new Growable(8, { maxByteLength: 64 }), gradBuffer = new Growable(8, { maxByteLength: 64 });
    const p: Parameter = { data: new Float32Array(dataBuffer).fill(1), grad: new Float32Array(gradBuffer).fill(1) };
    const opt = new AdamW([p], { lr: 0.1 });
    opt.step();
    opt.step();
    dataBuffer.grow(16);
    gradBuffer.grow(16);
    const before = [...p.data];
    expect(() => opt.step()).toThrow('expAvgs[0] (paramGroups[0].params[0]) has length 2, params[0] has length 4');
    expect([...p.data]).toEqual(before);
  });

  const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer;
  const onResizable = (values: number[]) => {
    const a = new Float32Array(new Resizable(values.length * 4, { maxByteLength: 64 }));
    a.set(values);
    return a;
  };

  it('stepAsync refuses a resizable array before any group runs, also where a call is planned without the cache', async () => {
    // SGD: a parameter whose momentum buffer starts this step (the step splits into two calls).
    const a: Parameter = { data: new Float32Array([1, 2]), grad: new Float32Array([1, 1]) };
    const c: Parameter = { data: onResizable([5, 5]), grad: null };
    const sgd = new SGD([a, c], { lr: 0.1, momentum: 0.9 });
    sgd.step();
    c.grad = new Float32Array([1, 1]);
    const beforeSgd = [...a.data, ...c.data];
    await expect(sgd.stepAsync()).rejects.toThrow(/paramGroups\[0\]\.params\[1\] uses a resizable ArrayBuffer/);
    expect([...a.data, ...c.data]).toEqual(beforeSgd);

    // NAdam: one group at two μ products (one call each), the second group's state on a resizable buffer.
    const mk = (): Parameter => ({ data: new Float32Array([1, 2]), grad: new Float32Array([1, 1]) });
    const x = mk(), y = mk(), z = mk();
    const nadam = new NAdam([{ params: [x] }, { params: [y, z] }]);
    nadam.step();
    const zState = nadam.state.get(z) as Record<string, Float32Array | number>;
    zState.muProduct = (zState.muProduct as number) * 0.5;
    zState.expAvg = onResizable([...(zState.expAvg as Float32Array)]);
    const beforeNadam = [...x.data, ...y.data, ...z.data];
    await expect(nadam.stepAsync()).rejects.toThrow(/paramGroups\[1\]\.params\[1\] uses a resizable ArrayBuffer/);
    expect([...x.data, ...y.data, ...z.data]).toEqual(beforeNadam);
    expect(nadam.state.get(x)?.step).toBe(1);
  });
});

describe('Lookahead and state dicts', () => {
  it('a sync that is refused is owed again at the next step', () => {
    const p: Parameter = { data: new Float32Array([1, 2]), grad: new Float32Array([1, 1]) };
    const q: Parameter = { data: new Float32Array([3, 4]), grad: null };
    const opt = new Lookahead(new SGD([p, q], { lr: 0.5 }), { k: 2, alpha: 0.5 });
    opt.step(); // slow weights captured
    q.data = new Float32Array(3); // q has no grad: the inner step skips it, the sync cannot
    expect(() => opt.step()).toThrow(RangeError);
    expect(opt.stateDict().stepCount).toBe(1);
    q.data = new Float32Array([3, 4]);
    const fast = p.data[0];
    opt.step(); // the owed sync: slow weights move halfway to the fast ones
    expect(opt.stateDict().stepCount).toBe(2);
    expect(p.data[0]).toBe(0.5 * 1 + 0.5 * (fast - 0.5));
  });

  it('loadStateDict measures a parameter by its real length, whatever its length property says', () => {
    class Lying extends Float32Array {
      override get length(): number {
        return 3;
      }
    }
    const p: Parameter = { data: new Lying(8), grad: new Lying(8).fill(1) };
    const opt = new Adam([p]);
    const state = { step: 1, expAvg: new Float32Array(8), expAvgSq: new Float32Array(8) };
    opt.loadStateDict({ state: { 0: state }, paramGroups: [{ ...opt.stateDict().paramGroups[0] }] });
    expect(opt.state.get(p)?.step).toBe(1);
    const short = { step: 1, expAvg: new Float32Array(3), expAvgSq: new Float32Array(3) };
    expect(() => opt.loadStateDict({ state: { 0: short }, paramGroups: [{ ...opt.stateDict().paramGroups[0] }] })).toThrow(
      'stateDict.state[0].expAvg has length 3, the parameter has 8',
    );
  });
});
