// Optimizer semantics beyond the PyTorch fixtures: clip-and-skip, partial momentum state, NAdam's
// per-parameter μ product, option checks.
import { describe, expect, it } from 'vitest';
import { Adam, AdamW, clipCoefficient, clipGradNorm, functional, NAdam, type Parameter } from '../src';
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
