// The TensorFlow.js-formula kernels (fused-optim/tfjs) against their TS specification, on every
// native ISA of this machine and the wasm build: bit for bit, for lengths 0, 1, every tail length
// around the vector widths, views at odd offsets, a million elements over 2 threads, and many
// tensors across the pool's parts.
import { describe, expect, it } from 'vitest';
import { setThreads } from '../src';
import { tfAdam } from '../src/backend/js/tf-adam';
import { copyStreams, makeStreams, runCase, type Streams, TF_CASES } from './kernel-cases';
import { expectBitEqual, kernelTargets, machineIsas, onIsa, onJs, onTarget } from './helpers';


function expectStreams(actual: Streams, expected: Streams, label: string): void {
  for (const [name, list] of Object.entries(expected))
    list?.forEach((e, k) => expectBitEqual((actual[name] as Float32Array[])[k], e, `${label} ${name}[${k}]`));
}

const named = TF_CASES.map((c) => [c.name, c] as const);
const TAIL_LENGTHS = [0, 1, ...Array.from({ length: 69 }, (_, i) => i + 2), 1000];

describe.each(kernelTargets())('TF.js-formula kernels on %s match the TS specification', (target) => {
  it.each(named)('%s: lengths 0..70 and 1000 in one call', (_, c) => {
    const input = makeStreams(c, TAIL_LENGTHS, 5);
    const expected = copyStreams(input);
    onJs(() => runCase(c, expected));
    const actual = copyStreams(input);
    onTarget(target, () => runCase(c, actual));
    expectStreams(actual, expected, target);
  });

  it.each(named)('%s: views at odd element offsets', (_, c) => {
    const input = makeStreams(c, [3, 16, 31, 65], 9);
    const expected = copyStreams(input);
    onJs(() => runCase(c, expected));
    const actual = copyStreams(input, 3);
    onTarget(target, () => runCase(c, actual));
    expectStreams(actual, expected, `${target} offset`);
  });
});

describe('TF.js-formula kernels over a million elements split across 2 threads', () => {
  it.each(named)('%s', (_, c) => {
    const input = makeStreams(c, [(1 << 20) + 3, 5], 13);
    const expected = copyStreams(input);
    onJs(() => runCase(c, expected));
    setThreads(2);
    const actual = copyStreams(input);
    onIsa(machineIsas().at(-1) as string, () => runCase(c, actual));
    expectStreams(actual, expected, 'million');
  });
});

const MANY_LENGTHS = Array.from({ length: 400 }, (_, i) => (i % 50 === 7 ? 0 : ((i * 37) % 1000) + 1));

describe.each(machineIsas())('TF.js-formula kernels over many tensors on 2 threads, %s', (isa) => {
  it.each(named)('%s', (_, c) => {
    const input = makeStreams(c, MANY_LENGTHS, 17);
    const expected = copyStreams(input);
    onJs(() => runCase(c, expected));
    setThreads(2);
    const actual = copyStreams(input);
    onIsa(isa, () => runCase(c, actual));
    expectStreams(actual, expected, `${isa} many`);
  });
});

describe('the TF.js Adam specification', () => {
  it('is the tfjs-core formula: bias-corrected moments, epsilon added to the corrected root', () => {
    const s = { gradScale: 1, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, oneMinusAccBeta1: 0.1, oneMinusAccBeta2: 0.001, eps: 1e-7, lr: 0.1 };
    const p = new Float32Array([1]), g = new Float32Array([2]), m = new Float32Array(1), v = new Float32Array(1);
    tfAdam({ param: [p], grad: [g], m: [m], v: [v] }, s);
    // m = 0.2, v = 0.004; mHat = 2, vHat = 4: p = 1 - 0.1 * 2 / (2 + 1e-7)
    expect(m[0]).toBeCloseTo(0.2, 6);
    expect(v[0]).toBeCloseTo(0.004, 8);
    expect(p[0]).toBeCloseTo(1 - 0.1 * (2 / (2 + 1e-7)), 6);
  });
});
