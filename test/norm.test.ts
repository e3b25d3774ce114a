// Gradient norms: native reductions against the TS backend on every ISA, the p-norm family,
// and 16M values spanning 1e-20..1e20 against a float64 reference (no overflow, no underflow).
import { describe, expect, it } from 'vitest';
import { gradNorm } from '../src';
import { onJs, randomArray, rng, viewAt, kernelTargets, onTarget } from './helpers';

function reference(tensors: Float32Array[], p: number): number {
  const values = tensors.flatMap((t) => [...t].map(Math.abs));
  if (p === Infinity) return Math.max(0, ...values);
  const scale = Math.max(0, ...values);
  if (scale === 0) return 0;
  return scale * values.reduce((s, v) => s + (v / scale) ** p, 0) ** (1 / p);
}

const LENGTHS = [0, 1, ...Array.from({ length: 69 }, (_, i) => i + 2), 1000];

describe.each(kernelTargets())('gradNorm on %s', (isa) => {
  const r = rng(3);
  const tensors = LENGTHS.map((n) => randomArray(n, r, 3));
  const views = tensors.slice(0, 20).map((t, i) => viewAt(t, 2 * i + 1));
  it.each([1, 2, Infinity, 3, 0.5])('p = %s matches the TS backend and a float64 reference', (p) => {
    const js = onJs(() => gradNorm(tensors, p));
    const native = onTarget(isa, () => gradNorm(tensors, p));
    expect(Math.abs(native - js) / js).toBeLessThan(1e-12);
    expect(Math.abs(native - reference(tensors, p)) / js).toBeLessThan(1e-12);
    const nativeViews = onTarget(isa, () => gradNorm(views, p));
    expect(Math.abs(nativeViews - reference(views, p)) / nativeViews).toBeLessThan(1e-12);
  });

  it('NaN anywhere gives NaN; Infinity gives Infinity; empty gives 0', () => {
    onTarget(isa, () => {
      for (const p of [1, 2, Infinity]) {
        const withNaN = [new Float32Array(37).fill(1), new Float32Array([1, NaN, 2])];
        expect(gradNorm(withNaN, p)).toBeNaN();
        expect(gradNorm([new Float32Array(19), new Float32Array([Infinity])], p)).toBe(Infinity);
        expect(gradNorm([new Float32Array(0)], p)).toBe(0);
      }
    });
  });
});

describe('16M values spanning 1e-20..1e20', () => {
  const n = 16 * 1024 * 1024;
  const r = rng(99);
  const big = new Float32Array(n);
  for (let i = 0; i < n; i++) big[i] = (r() < 0.5 ? -1 : 1) * 10 ** (r() * 40 - 20);
  const tensors = [big.subarray(0, n / 2 + 5), big.subarray(n / 2 + 5)];
  // Neumaier-compensated float64 sums: accurate to ~1e-16, a reference for the plain sums.
  const compensated = (term: (v: number) => number) => {
    let sum = 0, c = 0;
    for (let i = 0; i < n; i++) {
      const x = term(Math.abs(big[i])), t = sum + x;
      c += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
      sum = t;
    }
    return sum + c;
  };
  const sumSq = compensated((v) => v * v), sumAbs = compensated((v) => v);
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(big[i]));
  // A sum of 16M doubles in lanes carries ~1e-12 relative rounding; a float32 accumulator or a
  // squared float32 overflowing would be off by far more (or infinite).
  it.each(['js', ...kernelTargets()])('%s: 2-norm, 1-norm and max match float64 to 1e-10', (isa) => {
    const on = isa === 'js' ? onJs : <T>(fn: () => T) => onTarget(isa, fn);
    on(() => {
      expect(Math.abs(gradNorm(tensors, 2) - Math.sqrt(sumSq)) / Math.sqrt(sumSq)).toBeLessThan(1e-10);
      expect(Math.abs(gradNorm(tensors, 1) - sumAbs) / sumAbs).toBeLessThan(1e-10);
      expect(gradNorm(tensors, Infinity)).toBe(max);
      expect(Number.isFinite(gradNorm(tensors, 4))).toBe(true);
    });
  });

  it('the float32 values would overflow a float32 accumulator', () => {
    expect(Math.fround(max * max)).toBe(Infinity); // so the double accumulation matters
  });
});
