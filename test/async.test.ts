// stepAsync(): the same bits as step(), off the JS thread, and guarded against overlapping use.
import { describe, expect, it } from 'vitest';
import { AdamW, LAMB, Lookahead, NAdam, SGD, setThreads, type Optimizer, type Parameter } from '../src';
import { type PlannedUpdate } from '../src/functional/planned-update';
import { runStepAsync } from '../src/functional/step-runner';
import { expectBitEqual, machineIsas, onIsa, onJs, randomArray, rng, onWasm } from './helpers';

const lengths = [1, 17, 100, 40_000];
const make = (seed: number): Parameter[] => {
  const r = rng(seed);
  return lengths.map((n) => ({ data: randomArray(n, r), grad: null }));
};
const grads = (() => {
  const r = rng(5);
  return Array.from({ length: 6 }, () => lengths.map((n) => randomArray(n, r)));
})();

type Factory = (p: Parameter[]) => Optimizer<object> | Lookahead;
const FACTORIES: [string, Factory][] = [
  ['AdamW amsgrad', (p) => new AdamW(p, { amsgrad: true })],
  ['SGD momentum (first step starts the buffers)', (p) => new SGD(p, { lr: 0.01, momentum: 0.9 })],
  ['NAdam', (p) => new NAdam(p)],
  ['LAMB', (p) => new LAMB(p, { weightDecay: 0.01 })],
  ['Lookahead(AdamW)', (p) => new Lookahead(new AdamW(p), { k: 2 })],
];

const backends: [string, <T>(fn: () => T) => T][] = [
  ['js', onJs],
  ['native', (fn) => onIsa(machineIsas().at(-1) as string, fn)],
  ['wasm', onWasm],
];

describe.each(backends)('stepAsync on %s', (_, on) => {
  it.each(FACTORIES)('%s: bit-identical to step()', async (_, factory) => {
    const a = make(1), b = make(1);
    const optA = factory(a), optB = factory(b);
    for (const gs of grads) {
      a.forEach((p, k) => (p.grad = gs[k]));
      b.forEach((p, k) => (p.grad = gs[k]));
      on(() => optA.step());
      expect(await on(() => optB.stepAsync())).toBe(true);
    }
    a.forEach((p, k) => expectBitEqual(b[k].data, p.data, `param ${k}`));
  });
});

describe('stepAsync runs off the JS thread and guards the optimizer', () => {
  it('returns a pending promise; a second step, zeroGrad or stateDict is rejected until it settles', async () => {
    const n = 1 << 23;
    const p: Parameter = { data: new Float32Array(n).fill(1), grad: new Float32Array(n).fill(0.5) };
    const opt = new AdamW([p]);
    let done = false;
    const pending = opt.stepAsync().then((applied) => {
      done = applied;
    });
    expect(done).toBe(false);
    // Whether the workers have reached any given element by now is a race (parts are claimed
    // dynamically); what must hold is that the optimizer refuses to be used until it settles.
    expect(() => opt.step()).toThrow(/still running/);
    expect(() => opt.zeroGrad()).toThrow(/still running/);
    expect(() => opt.stateDict()).toThrow(/still running/);
    await expect(opt.stepAsync()).rejects.toThrow(/still running/);
    await pending;
    expect(done).toBe(true);
    expect(p.data[0]).toBeLessThan(1);
    expect(p.data[n - 1]).toBe(p.data[0]);
    opt.step(); // usable again
  });

  it('setThreads while a stepAsync runs never drops part of the update', async () => {
    const n = 1 << 21;
    for (let round = 0; round < 10; round++) {
      setThreads(2);
      const p: Parameter = { data: new Float32Array(n).fill(1), grad: new Float32Array(n).fill(1) };
      const pending = new SGD([p], { lr: 0.5 }).stepAsync();
      setThreads(1);
      await pending;
      expect(p.data.every((x) => x === 0.5)).toBe(true);
    }
    setThreads(2);
  });

  it('arrays on a resizable ArrayBuffer are refused before anything runs', async () => {
    const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer;
    const data = new Float32Array(new Resizable(16, { maxByteLength: 64 }));
    const p: Parameter = { data, grad: new Float32Array(4).fill(1) };
    await expect(new SGD([p]).stepAsync()).rejects.toThrow(/resizable/);
    expect([...data]).toEqual([0, 0, 0, 0]);
  });

  it('a rejected stepAsync changes nothing', async () => {
    const p: Parameter = { data: new Float32Array([1, 2]), grad: new Float32Array(3) };
    const opt = new AdamW([p]);
    await expect(opt.stepAsync()).rejects.toThrow(RangeError);
    expect([...p.data]).toEqual([1, 2]);
    p.grad = new Float32Array([Number.NaN, 0]);
    expect(await opt.stepAsync({ skipIfNonFinite: true })).toBe(false);
    expect([...p.data]).toEqual([1, 2]);
  });

  it('a resizable buffer anywhere (a later group, a state buffer, a lying .buffer) is refused before any group runs', async () => {
    const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer;
    const plain = (): Parameter => ({ data: new Float32Array([1, 2]), grad: new Float32Array([1, 1]) });
    const first = plain(), second = plain();
    second.data = new Float32Array(new Resizable(8, { maxByteLength: 64 }));
    second.data.set([1, 2]);
    Object.defineProperty(second.data, 'buffer', { value: new ArrayBuffer(8) });
    const opt = new AdamW([{ params: [first] }, { params: [second] }]);
    await expect(opt.stepAsync()).rejects.toThrow(/paramGroups\[1\]\.params\[0\] uses a resizable ArrayBuffer/);
    expect([...first.data, ...second.data]).toEqual([1, 2, 1, 2]);
    expect(opt.state.size).toBe(0);

    const q = plain();
    const withState = new AdamW([q]);
    withState.step();
    const state = withState.state.get(q) as Record<string, Float32Array | number>;
    const expAvg = new Float32Array(new Resizable(8, { maxByteLength: 64 }));
    expAvg.set(state.expAvg as Float32Array);
    state.expAvg = expAvg;
    const before = [...q.data];
    await expect(withState.stepAsync()).rejects.toThrow(/resizable/);
    expect([...q.data]).toEqual(before);
    expect(state.step).toBe(1);
  });

  it("a step's bookkeeping runs only after every group's call has finished", async () => {
    const n = 1 << 22;
    const small: Parameter = { data: new Float32Array([1]), grad: new Float32Array([1]) };
    const large: Parameter = { data: new Float32Array(n).fill(1), grad: new Float32Array(n).fill(1) };
    const opt = new AdamW([{ params: [small] }, { params: [large] }], { lr: 0.1 });
    opt.step();
    // A setter on the small group's state runs user code: by then the large group must be done.
    const state = opt.state.get(small) as Record<string, unknown>;
    let step = state.step as number;
    const seen: number[] = [];
    Object.defineProperty(state, 'step', {
      get: () => step,
      set: (v: number) => {
        seen.push(large.data[n - 1]);
        step = v;
      },
    });
    const expected = large.data[0];
    await opt.stepAsync();
    expect(step).toBe(2);
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toBe(expected);
    expect(seen[0]).toBe(large.data[0]);
  });

  it('a call that fails to start waits for the calls already running, and only their bookkeeping applies', async () => {
    const events: string[] = [];
    let finishSlow = () => {};
    const slow: PlannedUpdate = (deferred) =>
      deferred?.add(
        new Promise<void>((resolve) => {
          finishSlow = () => {
            events.push('slow done');
            resolve();
          };
        }),
        () => events.push('slow bookkeeping'),
      );
    const failing: PlannedUpdate = () => {
      throw new RangeError('refused at launch');
    };
    const outcome = runStepAsync([slow, failing]).catch((e: Error) => events.push(`rejected: ${e.message}`));
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual([]);
    finishSlow();
    await outcome;
    expect(events).toEqual(['slow done', 'slow bookkeeping', 'rejected: refused at launch']);

    const bookkeeping: string[] = [];
    const ok: PlannedUpdate = (deferred) => deferred?.add(Promise.resolve(), () => bookkeeping.push('ok'));
    const rejects: PlannedUpdate = (deferred) => deferred?.add(Promise.reject(new Error('worker failed')), () => bookkeeping.push('bad'));
    await expect(runStepAsync([ok, rejects])).rejects.toThrow('worker failed');
    expect(bookkeeping).toEqual(['ok']);
  });
});
