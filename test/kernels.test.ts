// Every native kernel kind against the pure-TS specification, on every ISA of this machine:
// bit for bit (LAMB within 2 ulp: its trust ratio sums in a split-dependent order), for every
// tail length around the vector widths, for views at odd offsets, and for a million elements
// split across threads.
import { describe, expect, it } from 'vitest';
import { setThreads } from '../src';
import { getBackend } from '../src/backend';
import type { NativeBackend } from '../src/backend/native';
import { type Case, copyStreams, KERNEL_CASES, makeStreams, runCase, type Streams } from './kernel-cases';
import { expectBitEqual, kernelTargets, machineIsas, onIsa, onJs, onTarget, randomArray, rng, viewAt } from './helpers';


/** Largest distance in float32 units in the last place between two arrays (NaN = NaN). */
function maxUlps(a: Float32Array, b: Float32Array): number {
  const ia = new Int32Array(a.buffer, a.byteOffset, a.length), ib = new Int32Array(b.buffer, b.byteOffset, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== a[i] && b[i] !== b[i]) continue;
    const key = (x: number) => (x < 0 ? 0x80000000 - x : x); // monotonic map of float bits
    worst = Math.max(worst, Math.abs(key(ia[i]) - key(ib[i])));
  }
  return worst;
}

function expectStreams(actual: Streams, expected: Streams, c: Case, label: string): void {
  for (const [name, list] of Object.entries(expected)) {
    if (!list) continue;
    list.forEach((e, k) => {
      const a = (actual[name] as Float32Array[])[k];
      if (c.kind === 'lamb') expect(maxUlps(a, e), `${label} ${name}[${k}]`).toBeLessThanOrEqual(2);
      else expectBitEqual(a, e, `${label} ${name}[${k}]`);
    });
  }
}

const TAIL_LENGTHS = [0, 1, ...Array.from({ length: 69 }, (_, i) => i + 2), 1000];

describe.each(kernelTargets())('kernels on %s match the TS backend', (isa) => {
  it.each(KERNEL_CASES.map((c) => [c.name, c] as const))('%s: lengths 0..70 and 1000 in one call', (_, c) => {
    const input = makeStreams(c, TAIL_LENGTHS, 5);
    const expected = copyStreams(input);
    onJs(() => runCase(c, expected));
    const actual = copyStreams(input);
    onTarget(isa, () => runCase(c, actual));
    expectStreams(actual, expected, c, isa);
  });

  it.each(KERNEL_CASES.map((c) => [c.name, c] as const))('%s: views at odd element offsets', (_, c) => {
    const input = makeStreams(c, [3, 16, 31, 65], 9);
    const expected = copyStreams(input);
    onJs(() => runCase(c, expected));
    const actual = copyStreams(input, 3);
    onTarget(isa, () => runCase(c, actual));
    expectStreams(actual, expected, c, `${isa} offset`);
  });
});

describe('kernels over a million elements split across 2 threads', () => {
  it.each(KERNEL_CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const input = makeStreams(c, [(1 << 20) + 3, 5], 13);
    const expected = copyStreams(input);
    onJs(() => runCase(c, expected));
    setThreads(2);
    const actual = copyStreams(input);
    onIsa(machineIsas().at(-1) as string, () => runCase(c, actual));
    expectStreams(actual, expected, c, 'million');
  });
});

// 400 tensors of 0 to 1000 elements, about 200K in all: parts of 32K elements hold many tensors
// each and cut some in two; every 50th is empty, so the next-tensor prefetch meets empty ones.
const MANY_LENGTHS = Array.from({ length: 400 }, (_, i) => (i % 50 === 7 ? 0 : ((i * 37) % 1000) + 1));

describe.each(machineIsas())('many tensors across the parts of 2 threads on %s', (isa) => {
  it.each(KERNEL_CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const input = makeStreams(c, MANY_LENGTHS, 17);
    const expected = copyStreams(input);
    onJs(() => runCase(c, expected));
    setThreads(2);
    const actual = copyStreams(input);
    onIsa(isa, () => runCase(c, actual));
    expectStreams(actual, expected, c, `${isa} many`);
  });
});

// The benchmark's yardsticks are no kernel kind (no optimizer reaches them), but bench and report
// figures are only as good as they are: the write probe must do exactly its additions, and the
// read probe must read every element once.
describe.each(machineIsas())("the addon's bandwidth probes on %s", (isa) => {
  const addon = () => (getBackend() as NativeBackend).addon;
  const lengths = [...TAIL_LENGTHS, (1 << 20) + 3];

  it('probe() adds b to a, c and d, bit for bit, in every tensor, views at odd offsets, and split across 2 threads', () => {
    setThreads(2);
    const r = rng(23);
    const [a, b, c, d] = [0, 1, 2, 3].map(() => lengths.map((n, i) => viewAt(randomArray(n, r), 1 + 2 * i)));
    const expected = [a, c, d].map((list) => list.map((x, t) => Float32Array.from(x, (v, i) => v + b[t][i])));
    const bBefore = b.map((x) => x.slice());
    onIsa(isa, () => addon().probe({ a, b, c, d }));
    [a, c, d].forEach((list, k) => list.forEach((x, t) => expectBitEqual(x, expected[k][t], `${isa} ${'acd'[k]}[${t}]`)));
    b.forEach((x, t) => expectBitEqual(x, bBefore[t], `${isa} b[${t}] unchanged`));
  });

  it('probeRead() sums every element (small integers: exact in float lanes)', () => {
    setThreads(2);
    const r = rng(29);
    const tensors = lengths.map((n, i) => viewAt(Float32Array.from({ length: n }, () => Math.round(16 * r()) - 8), 1 + i));
    let expected = 0;
    for (const x of tensors) for (const v of x) expected += v;
    expect(onIsa(isa, () => addon().probeRead(tensors))).toBe(expected);
  });
});
