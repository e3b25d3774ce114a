// Clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (scripts/fixtures/gen_clip.py),
// on the TS backend and every native ISA; the coefficient mode; the non-finite policy in step().
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Adam, clipCoefficient, clipGradNorm, clipGradValue, hasNonFinite, type Parameter } from '../src';
import { expectBitEqual, expectClose, onJs, kernelTargets, onTarget } from './helpers';

interface ClipFixture {
  norm: { normType: number | 'inf'; maxNorm: number; grads: number[][]; totalNorm: number; clipped: number[][] }[];
  value: { clipValue: number; grads: number[][]; clipped: number[][] }[];
}
const fixture: ClipFixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'clip.json'), 'utf8'));
const backends: [string, <T>(fn: () => T) => T][] = [
  ['js', onJs],
  ...kernelTargets().map((isa): [string, <T>(fn: () => T) => T] => [isa, (fn) => onTarget(isa, fn)]),
];

describe.each(backends)('clipping matches PyTorch on %s', (_, on) => {
  it.each(fixture.norm.map((c) => [`norm ${c.normType}, maxNorm ${c.maxNorm}`, c] as const))('%s', (label, c) => {
    on(() => {
      const params: Parameter[] = c.grads.map((g) => ({ data: new Float32Array(g.length), grad: Float32Array.from(g) }));
      const normType = c.normType === 'inf' ? Infinity : c.normType;
      const total = clipGradNorm(params, c.maxNorm, normType);
      expectClose([total], [c.totalNorm], `${label} total norm`);
      params.forEach((p, k) => expectClose(p.grad as Float32Array, c.clipped[k], `${label} grad ${k}`));
    });
  });

  it.each(fixture.value.map((c) => [`value ${c.clipValue}`, c] as const))('%s', (label, c) => {
    on(() => {
      const grads = c.grads.map((g) => Float32Array.from(g));
      clipGradValue(grads, c.clipValue);
      grads.forEach((g, k) => expectClose(g, c.clipped[k], `${label} grad ${k}`, 0, 0));
    });
  });
});

describe('clipping as a step option', () => {
  it('step({ gradScale: coefficient }) equals clipping the gradients then stepping, bit for bit', () => {
    const make = (): Parameter[] => [
      { data: new Float32Array([1, -2, 3]), grad: new Float32Array([30, -40, 5]) },
      { data: new Float32Array([0.5]), grad: new Float32Array([12]) },
    ];
    const a = make(), b = make();
    const gradsBefore = a.map((p) => (p.grad as Float32Array).slice());
    const { coefficient, totalNorm } = clipCoefficient(a, 1.0);
    expect(coefficient).toBeLessThan(1);
    new Adam(a, { lr: 0.1 }).step({ gradScale: coefficient });
    expect(clipGradNorm(b, 1.0)).toBe(totalNorm);
    new Adam(b, { lr: 0.1 }).step();
    a.forEach((p, k) => expectBitEqual(p.data, b[k].data, `param ${k}`));
    a.forEach((p, k) => expectBitEqual(p.grad as Float32Array, gradsBefore[k], `grad ${k} untouched`));
  });

  it('errorIfNonfinite throws and leaves the gradients alone', () => {
    const g = new Float32Array([1, NaN]);
    expect(() => clipGradNorm([g], 1, 2, { errorIfNonfinite: true })).toThrow(/NaN/);
    expect(g[0]).toBe(1);
  });

  it('skipIfNonFinite leaves parameters and state untouched and reports the skip', () => {
    const p: Parameter = { data: new Float32Array([1, 2, 3]), grad: new Float32Array([0.1, 0.2, 0.3]) };
    const opt = new Adam([p], { lr: 0.1 });
    expect(opt.step({ skipIfNonFinite: true })).toBe(true);
    const after = p.data.slice();
    const state = opt.stateDict();
    p.grad = new Float32Array([0.1, Infinity, 0.3]);
    expect(hasNonFinite([p.grad])).toBe(true);
    expect(opt.step({ skipIfNonFinite: true })).toBe(false);
    expectBitEqual(p.data, after, 'params');
    expect(opt.stateDict()).toEqual(state);
    expect(hasNonFinite([new Float32Array([1, -1e38])])).toBe(false);
  });
});
