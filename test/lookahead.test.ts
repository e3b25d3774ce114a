// Lookahead: slow weights, schedulers through it, and its state dicts.
import { describe, expect, it } from 'vitest';
import { Adam, CosineAnnealingLR, Lookahead, SGD, type Parameter } from '../src';
import { expectClose } from './helpers';

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
