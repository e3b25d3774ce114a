import { afterEach, describe, expect, it, vi } from 'vitest';
import { EarlyStopping, GradientHealthMonitor, type GradientWarningKind } from '../src/schedule';

const bad = (o: unknown): any => o;

function feed(es: EarlyStopping, metrics: number[]): boolean[] {
  return metrics.map((m) => es.step(m));
}

describe('EarlyStopping', () => {
  it('stops on the patience-th step without improvement (min mode)', () => {
    const es = new EarlyStopping({ patience: 3 });
    expect(es.bestValue).toBeNull();
    expect(feed(es, [1.0, 0.9, 0.95, 0.91, 0.92])).toEqual([false, false, false, false, true]);
    expect(es.shouldStop).toBe(true);
    expect(es.bestValue).toBe(0.9);
    expect(es.bestEpoch).toBe(2);
    expect(es.numBadEpochs).toBe(3);
  });

  it('an improvement resets the count', () => {
    const es = new EarlyStopping({ patience: 2 });
    expect(feed(es, [1, 1.1, 0.5, 0.6, 0.7])).toEqual([false, false, false, false, true]);
    expect(es.bestValue).toBe(0.5);
  });

  it('max mode', () => {
    const es = new EarlyStopping({ patience: 2, mode: 'max' });
    expect(feed(es, [0.5, 0.6, 0.6, 0.59])).toEqual([false, false, false, true]);
    expect(es.bestValue).toBe(0.6);
  });

  it('minDelta: a gain no larger than minDelta is not an improvement', () => {
    const es = new EarlyStopping({ patience: 2, minDelta: 0.1 });
    expect(feed(es, [1.0, 0.95, 0.9])).toEqual([false, false, true]);
    expect(es.bestValue).toBe(1.0);
    const es2 = new EarlyStopping({ patience: 2, minDelta: 0.1 });
    expect(feed(es2, [1.0, 0.85, 0.8, 0.6])).toEqual([false, false, false, false]);
    expect(es2.bestValue).toBe(0.6);
  });

  it('NaN is never an improvement', () => {
    const es = new EarlyStopping({ patience: 2 });
    expect(feed(es, [NaN, 1, NaN, NaN])).toEqual([false, false, false, true]);
    expect(es.bestValue).toBe(1);
  });

  it('patience 0 stops at the first step without improvement', () => {
    const es = new EarlyStopping({ patience: 0 });
    expect(feed(es, [3, 2, 2])).toEqual([false, false, true]);
  });

  it('stays stopped until reset', () => {
    const es = new EarlyStopping({ patience: 1 });
    feed(es, [1, 2]);
    expect(es.step(0.1)).toBe(true);
    expect(es.shouldStop).toBe(true);
    es.reset();
    expect(es.shouldStop).toBe(false);
    expect(es.bestValue).toBeNull();
    expect(es.step(5)).toBe(false);
  });

  it('resumes identically from a JSON state dict', () => {
    const metrics = [1, 0.8, 0.85, Infinity, 0.7, 0.75, 0.76, 0.77, 0.78];
    const ref = new EarlyStopping({ patience: 3, minDelta: 0.01 });
    const refOut = feed(ref, metrics);
    const a = new EarlyStopping({ patience: 3, minDelta: 0.01 });
    feed(a, metrics.slice(0, 4));
    const b = new EarlyStopping();
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    expect(b.patience).toBe(3);
    expect([...refOut.slice(0, 4), ...feed(b, metrics.slice(4))]).toEqual(refOut);
    expect(b.stateDict()).toEqual(ref.stateDict());
  });

  it('round-trips an infinite best value through JSON', () => {
    const a = new EarlyStopping({ mode: 'max' });
    a.step(Infinity);
    const b = new EarlyStopping({ mode: 'max' });
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    expect(b.bestValue).toBe(Infinity);
  });

  it('validates options, metrics and state', () => {
    expect(() => new EarlyStopping({ patience: -1 })).toThrow(RangeError);
    expect(() => new EarlyStopping({ patience: 1.5 })).toThrow(/patience/);
    expect(() => new EarlyStopping({ minDelta: -0.1 })).toThrow(/minDelta/);
    expect(() => new EarlyStopping(bad({ mode: 'up' }))).toThrow(/mode/);
    expect(() => new EarlyStopping(bad({ min_delta: 0.1 }))).toThrow(/'min_delta'.*'minDelta'/);
    expect(() => new EarlyStopping().step(bad('1'))).toThrow(TypeError);
    const sd = new EarlyStopping().stateDict();
    expect(() => new EarlyStopping().loadStateDict({ ...sd, numBadEpochs: -1 })).toThrow(/numBadEpochs/);
    expect(() => new EarlyStopping().loadStateDict({ ...sd, type: 'StepLR' })).toThrow(TypeError);
  });
});

describe('GradientHealthMonitor', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('classifies into bands with the documented boundaries', () => {
    const m = new GradientHealthMonitor({ onWarn: () => {} });
    const table: Array<[number, string]> = [
      [0, 'vanishing'],
      [9.99e-4, 'vanishing'],
      [1e-3, 'low'],
      [0.0999, 'low'],
      [0.1, 'healthy'],
      [1, 'healthy'],
      [10, 'healthy'],
      [10.001, 'high'],
      [100, 'high'],
      [100.001, 'exploding'],
      [1e30, 'exploding'],
      [NaN, 'nonfinite'],
      [Infinity, 'nonfinite'],
      [-Infinity, 'nonfinite'],
    ];
    for (const [norm, kind] of table) expect(m.classify(norm), String(norm)).toBe(kind);
    expect(m.observations).toBe(0);
  });

  it('rejects negative or non-number norms', () => {
    const m = new GradientHealthMonitor({ onWarn: () => {} });
    expect(() => m.classify(-1)).toThrow(RangeError);
    expect(() => m.observe(bad('1'))).toThrow(TypeError);
  });

  it('custom bands', () => {
    const m = new GradientHealthMonitor({ vanishingBelow: 1, healthyFrom: 2, healthyTo: 3, explodingAbove: 4, onWarn: () => {} });
    expect([0.5, 1.5, 2.5, 3.5, 4.5].map((x) => m.classify(x))).toEqual(['vanishing', 'low', 'healthy', 'high', 'exploding']);
  });

  it('counts everything and warns once per kind', () => {
    const warnings: Array<[string, GradientWarningKind]> = [];
    const m = new GradientHealthMonitor({ onWarn: (msg, kind) => warnings.push([msg, kind]) });
    const norms = [1, 500, 1e-5, 800, NaN, 0.05, 20, 1e-6, Infinity, 2];
    expect(norms.map((n) => m.observe(n))).toEqual([
      'healthy',
      'exploding',
      'vanishing',
      'exploding',
      'nonfinite',
      'low',
      'high',
      'vanishing',
      'nonfinite',
      'healthy',
    ]);
    expect(m.counts).toEqual({ vanishing: 2, low: 1, healthy: 2, high: 1, exploding: 2, nonfinite: 2 });
    expect(m.observations).toBe(10);
    expect(warnings.map(([, k]) => k)).toEqual(['exploding', 'vanishing', 'nonfinite']);
    expect(warnings[0][0]).toMatch(/500.*exploding/);
    expect(warnings[0][0]).toMatch(/observation 2/);
    expect(warnings[1][0]).toMatch(/vanishing/);
    expect(warnings[2][0]).toMatch(/NaN/);
  });

  it('warns every time when warnOnce is false', () => {
    const kinds: GradientWarningKind[] = [];
    const m = new GradientHealthMonitor({ warnOnce: false, onWarn: (_msg, kind) => kinds.push(kind) });
    for (const n of [1e3, 1e3, 1, 1e-9, 1e-9]) m.observe(n);
    expect(kinds).toEqual(['exploding', 'exploding', 'vanishing', 'vanishing']);
  });

  it('reset starts a new run: counts cleared and warnings re-armed', () => {
    let calls = 0;
    const m = new GradientHealthMonitor({ onWarn: () => calls++ });
    m.observe(1e6);
    m.observe(1e6);
    expect(calls).toBe(1);
    m.reset();
    expect(m.counts.exploding).toBe(0);
    m.observe(1e6);
    expect(calls).toBe(2);
  });

  it('defaults to process.emitWarning', () => {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const m = new GradientHealthMonitor();
    m.observe(1e9);
    m.observe(1e9);
    m.observe(3);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(String(spy.mock.calls[0][0])).toMatch(/exploding/);
    expect(spy.mock.calls[0][1]).toEqual({ type: 'GradientHealthWarning' });
  });

  it('validates its options', () => {
    expect(() => new GradientHealthMonitor({ vanishingBelow: 0.5, healthyFrom: 0.1 })).toThrow(/healthyFrom/);
    expect(() => new GradientHealthMonitor({ healthyTo: 0.05 })).toThrow(/healthyTo/);
    expect(() => new GradientHealthMonitor({ explodingAbove: 5 })).toThrow(/explodingAbove/);
    expect(() => new GradientHealthMonitor({ explodingAbove: NaN })).toThrow(RangeError);
    expect(() => new GradientHealthMonitor({ vanishingBelow: -1 })).toThrow(/vanishingBelow/);
    expect(() => new GradientHealthMonitor(bad({ onWarn: 'log' }))).toThrow(TypeError);
    expect(() => new GradientHealthMonitor(bad({ warnOnce: 1 }))).toThrow(/warnOnce/);
    expect(() => new GradientHealthMonitor(bad({ exploding_above: 1 }))).toThrow(/explodingAbove/);
  });
});
