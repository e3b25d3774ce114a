// Optimizer-step throughput against this machine's memory bandwidth: the measuring code shared by
// `npm run bench` (bench/run.mjs) and the report's hardware section. The yardsticks are the
// addon's streaming probes: one of AdamW's memory shape (4 arrays read, 3 written) and one that
// only reads (gradNorm's shape). They need no dev dependency: tinybench, which times them, is a
// dependency of the package, so the report's hardware section runs from an installed package.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendInfo, functional, gradNorm } from 'fused-optim';
import { Bench } from 'tinybench';

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The native addon the package loaded, for its probes: the same file (and so, through require's
 * cache, the same instance, thread pool and ISA choice) as backendInfo().addonFile. Null when the
 * native backend cannot load.
 */
export function probeAddon() {
  const { addonFile, nativeError } = backendInfo();
  if (nativeError !== undefined || addonFile === undefined) return null;
  const addon = createRequire(import.meta.url)(addonFile);
  return typeof addon.probe === 'function' && typeof addon.probeRead === 'function' ? addon : null;
}

/** `count` arrays of n elements with realistic values (array 3 positive: second moments). */
export function arrays(n, count) {
  // One period of a sine, tiled: filling 16M values with Math.sin one by one takes seconds.
  const period = Float32Array.from({ length: 4093 }, (_, i) => Math.sin(i * 0.37));
  return Array.from({ length: count }, (_, k) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i += period.length) a.set(period.subarray(0, Math.min(period.length, n - i)), i);
    if (k === 3) for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]) + 1e-3;
    return a;
  });
}

/** What a user would write by hand: AdamW in double precision, one element at a time. */
export function naiveAdamW(p, g, m, v, lr, b1, b2, eps, wd, step) {
  const stepSize = lr / (1 - b1 ** step), bc2Sqrt = Math.sqrt(1 - b2 ** step);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    p[i] = p[i] * (1 - lr * wd) - (stepSize * m[i]) / (Math.sqrt(v[i]) / bc2Sqrt + eps);
  }
}

/** The probes' names, and which probe is each task's yardstick (by the bytes it moves). */
export const PROBE_WRITE = 'probe 4r/3w';
export const PROBE_READ = 'probe read';

/**
 * Each task: [bytes moved per element, one step over arrays of n elements]. The probes are
 * included when `addon` is given; 'naive JS AdamW' when `naive` is true.
 */
export function stepTasks(n, { addon = null, naive = false } = {}) {
  const [p, g, m, v, extra] = arrays(n, 5);
  const P = [p], G = [g], M = [m], V = [v], X = [extra];
  let step = 0;
  const adam = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: false };
  const common = { lr: 1e-4, weightDecay: 0.01, maximize: false };
  const F = functional;
  const tasks = {};
  if (addon) {
    tasks[PROBE_WRITE] = [28, () => addon.probe({ a: P, b: G, c: M, d: V })];
    tasks[PROBE_READ] = [4, () => addon.probeRead(G)];
  }
  Object.assign(tasks, {
    AdamW: [28, () => F.adamw(P, G, M, V, null, { ...adam, step: ++step })],
    Adam: [28, () => F.adam(P, G, M, V, null, { ...adam, weightDecay: 0, step: ++step })],
    'Adam amsgrad': [36, () => F.adam(P, G, M, V, X, { ...adam, amsgrad: true, step: ++step })],
    SGD: [12, () => F.sgd(P, G, null, { ...common, weightDecay: 0, momentum: 0, dampening: 0, nesterov: false })],
    'SGD momentum': [20, () => F.sgd(P, G, M, { ...common, momentum: 0.9, dampening: 0, nesterov: false })],
    Adagrad: [20, () => F.adagrad(P, G, V, { ...common, step: ++step, lrDecay: 0, eps: 1e-10 })],
    RMSprop: [20, () => F.rmsprop(P, G, V, null, null, { ...common, alpha: 0.99, eps: 1e-8, momentum: 0, centered: false })],
    Adadelta: [28, () => F.adadelta(P, G, V, X, { ...common, rho: 0.9, eps: 1e-6 })],
    Adamax: [28, () => F.adamax(P, G, M, V, { ...common, step: ++step, beta1: 0.9, beta2: 0.999, eps: 1e-8 })],
    NAdam: [28, () => F.nadam(P, G, M, V, { ...common, step: ++step, beta1: 0.9, beta2: 0.999, eps: 1e-8, momentumDecay: 4e-3, muProduct: 0.5 })],
    RAdam: [28, () => F.radam(P, G, M, V, { ...common, step: ++step, beta1: 0.9, beta2: 0.999, eps: 1e-8 })],
    LAMB: [40, () => F.lamb(P, G, M, V, { ...common, step: ++step, beta1: 0.9, beta2: 0.999, eps: 1e-6 })],
    Lion: [20, () => F.lion(P, G, M, { ...common, beta1: 0.9, beta2: 0.99 })],
    gradNorm: [4, () => gradNorm(G)],
  });
  if (naive) tasks['naive JS AdamW'] = [28, () => naiveAdamW(p, g, m, v, 1e-4, 0.9, 0.999, 1e-8, 0.01, ++step)];
  return tasks;
}

/** Busy work first: idle vCPUs and sleeping pool threads take time to come up. */
export function warmUp(fns, ms) {
  const until = performance.now() + ms;
  while (performance.now() < until) for (const fn of Object.values(fns)) fn();
}

/** The median of xs (the upper middle one of an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * { name: median seconds per call } for each of fns, timed by tinybench one after the other: each
 * for at least `time` ms and `iterations` calls, after `warmup` untimed calls (tinybench makes all
 * the warm-up calls first). onDone(name) after each.
 */
export function measureAll(fns, { time = 300, iterations = 5, warmup = 2 } = {}, onDone = () => {}) {
  const bench = new Bench({
    time,
    iterations,
    warmup: warmup > 0,
    warmupIterations: warmup,
    warmupTime: 0, // exactly `warmup` calls: the TS backend's 16M steps take 0.1 s each
    timestampProvider: 'hrtimeNow',
    throws: true,
  });
  // async: false, or tinybench calls each function once when it is added, to see what it returns
  for (const [name, fn] of Object.entries(fns)) bench.add(name, fn, { async: false });
  bench.addEventListener('cycle', (event) => onDone(event.task.name));
  const seconds = {};
  for (const task of bench.runSync()) seconds[task.name] = task.result.latency.p50 / 1e3;
  return seconds;
}

const melems = (n, s) => (s === undefined ? null : Math.round(n / s / 1e6));

/**
 * The table both the bench and the report print: per task, native Melem/s, GB/s, % of its probe,
 * and the wasm and TS backends' Melem/s beside it. `seconds` = { native, wasm, js } of measureAll.
 */
export function throughputRows(n, tasks, seconds) {
  const { native = {}, wasm = {}, js = {} } = seconds;
  const writeGBs = native[PROBE_WRITE] ? (28 * n) / native[PROBE_WRITE] / 1e9 : null;
  const readGBs = native[PROBE_READ] ? (4 * n) / native[PROBE_READ] / 1e9 : null;
  const rows = Object.entries(tasks).map(([name, [bytes]]) => {
    const s = native[name];
    const gbs = s === undefined ? null : (bytes * n) / s / 1e9;
    const probe = bytes === 4 ? readGBs : writeGBs;
    return {
      task: name,
      'native Melem/s': melems(n, s),
      'GB/s': gbs === null ? null : +gbs.toFixed(1),
      '% of probe': gbs === null || probe === null ? null : Math.round((100 * gbs) / probe),
      'wasm Melem/s': melems(n, wasm[name]),
      'TS Melem/s': melems(n, js[name]),
      'native/TS': s === undefined || js[name] === undefined ? null : +(js[name] / s).toFixed(1),
    };
  });
  return { rows, writeGBs, readGBs };
}
