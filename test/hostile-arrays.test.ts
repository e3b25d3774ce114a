// Arrays and user code that lie to the checks: the addon reuses validated pointers across steps
// (src/backend/engine.ts states the invariant), so nothing a user can patch may make it write
// memory that was detached, moved or shrunk.
import { describe, expect, it } from 'vitest';
import { AdamW, functional, NAdam, SGD, type Parameter } from '../src';
import { expectBitEqual, expectClose, kernelTargets, onJs, onTarget, randomArray, rng } from './helpers';

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
