// Native Adam/AdamW against the pure-TS specification, bit for bit, on every ISA of this machine.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { functional, setThreads } from '../src';
type AdamOptions = functional.AdamCallOptions;
import { expectBitEqual, machineIsas, onJs, randomArray, rng, viewAt, kernelTargets, onTarget } from './helpers';

type Variant = { name: string; decoupled: boolean; options: Omit<AdamOptions, 'step'> };
const base = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false };
const VARIANTS: Variant[] = [
  { name: 'adam', decoupled: false, options: base },
  { name: 'adam l2 amsgrad', decoupled: false, options: { ...base, weightDecay: 0.1, amsgrad: true } },
  { name: 'adamw', decoupled: true, options: { ...base, weightDecay: 0.01 } },
  { name: 'adamw amsgrad maximize', decoupled: true, options: { ...base, weightDecay: 0.05, amsgrad: true, maximize: true } },
  { name: 'adam gradScale', decoupled: false, options: { ...base, gradScale: 0.37 } },
];

interface Problem {
  params: Float32Array[];
  grads: Float32Array[][]; // per step
  m: Float32Array[];
  v: Float32Array[];
  vmax: Float32Array[];
}

function makeProblem(lengths: number[], seed: number, steps: number): Problem {
  const r = rng(seed);
  return {
    params: lengths.map((n) => randomArray(n, r)),
    grads: Array.from({ length: steps }, () => lengths.map((n, k) => randomArray(n, r, 10 ** (k % 3 - 1)))),
    m: lengths.map((n) => new Float32Array(n)),
    v: lengths.map((n) => new Float32Array(n)),
    vmax: lengths.map((n) => new Float32Array(n)),
  };
}

/** Copies a problem, each array as a view at an odd element offset when `offset` is set. */
function copy(p: Problem, offset = 0): Problem {
  const c = (list: Float32Array[]) => list.map((a, i) => (offset ? viewAt(a, offset + 2 * i) : a.slice()));
  return { params: c(p.params), grads: p.grads.map(c), m: c(p.m), v: c(p.v), vmax: c(p.vmax) };
}

function run(p: Problem, variant: Variant): void {
  const fn = variant.decoupled ? functional.adamw : functional.adam;
  p.grads.forEach((grads, t) =>
    fn(p.params, grads, p.m, p.v, variant.options.amsgrad ? p.vmax : null, { ...variant.options, step: t + 1 }),
  );
}

function expectSame(a: Problem, b: Problem, label: string): void {
  a.params.forEach((x, k) => expectBitEqual(x, b.params[k], `${label} params[${k}]`));
  a.m.forEach((x, k) => expectBitEqual(x, b.m[k], `${label} expAvgs[${k}]`));
  a.v.forEach((x, k) => expectBitEqual(x, b.v[k], `${label} expAvgSqs[${k}]`));
  a.vmax.forEach((x, k) => expectBitEqual(x, b.vmax[k], `${label} maxExpAvgSqs[${k}]`));
}

const TAIL_LENGTHS = [0, 1, ...Array.from({ length: 69 }, (_, i) => i + 2), 1000];

describe.each(kernelTargets())('Adam kernels on %s match the TS backend bit for bit', (isa) => {
  it.each(VARIANTS.map((v) => [v.name, v] as const))('%s: every tail length 0..70 and 1000, in one call', (_, variant) => {
    const problem = makeProblem(TAIL_LENGTHS, 7, 3);
    const expected = copy(problem);
    onJs(() => run(expected, variant));
    const actual = copy(problem);
    onTarget(isa, () => run(actual, variant));
    expectSame(actual, expected, `${isa} ${variant.name}`);
  });

  it.each(VARIANTS.map((v) => [v.name, v] as const))('%s: views at odd element offsets', (_, variant) => {
    const problem = makeProblem([1, 5, 17, 33, 67], 11, 3);
    const expected = copy(problem);
    onJs(() => run(expected, variant));
    const actual = copy(problem, 1);
    onTarget(isa, () => run(actual, variant));
    expectSame(actual, expected, `${isa} ${variant.name} (offset views)`);
  });

  it('2^20 + 3 elements, split across threads, same bits with 1 and 2 threads', () => {
    const variant = VARIANTS[3];
    const problem = makeProblem([(1 << 20) + 3, 77], 3, 2);
    const expected = copy(problem);
    onJs(() => run(expected, variant));
    for (const threads of [1, 2]) {
      setThreads(threads);
      const actual = copy(problem);
      onTarget(isa, () => run(actual, variant));
      expectSame(actual, expected, `${isa} ${threads} threads`);
    }
  });
});

describe('Adam kernels: property test over random shapes, offsets and hyperparameters', () => {
  it.each([machineIsas().at(-1) as string, 'wasm'])('%s equals the TS backend', (isa) => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.constantFrom(...VARIANTS),
        fc.double({ min: 1e-5, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (lengths, offset, seed, variant, lr, beta1) => {
          const v = { ...variant, options: { ...variant.options, lr, beta1 } };
          const problem = makeProblem(lengths, seed, 2);
          const expected = copy(problem);
          onJs(() => run(expected, v));
          const actual = copy(problem, offset);
          onTarget(isa, () => run(actual, v));
          expectSame(actual, expected, 'property');
        },
      ),
      { numRuns: 200, seed: 42 },
    );
    expect(isa).toBeTruthy();
  });
});
