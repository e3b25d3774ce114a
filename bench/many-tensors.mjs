// Call overhead: an AdamW step over 1024 tensors of 1K elements against one over a single tensor
// of 1M elements (the same 1M parameters), through the Optimizer class as a training loop uses
// it, on the native backend. Also the functional API over the same 1024 tensors, which checks
// every list on every call (no per-group cache).
//
// The two steps are timed alternately, one call each per round, so both see the same moments
// of a shared, noisy machine; the ratio is the median of the per-round ratios.
import { AdamW, functional, useBackend } from 'fused-optim';

function parameters(count, n) {
  return Array.from({ length: count }, (_, k) => {
    const data = new Float32Array(n), grad = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      data[i] = Math.sin(i + k);
      grad[i] = 1e-2 * Math.cos(i - k);
    }
    return { data, grad };
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function timeOnce(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e3;
}

/** Median µs per step of each function and the median per-round ratio of each to the first. */
export function manyTensors({ rounds = 2000, warmup = 300 } = {}) {
  useBackend('native');
  const one = parameters(1, 1 << 20), many = parameters(1024, 1024);
  const oneOpt = new AdamW(one, { lr: 1e-4 }), manyOpt = new AdamW(many, { lr: 1e-4 });
  const m = many.map((p) => new Float32Array(p.data.length)), v = many.map((p) => new Float32Array(p.data.length));
  let step = 0;
  const fns = {
    'AdamW.step(), 1 × 1M': () => oneOpt.step(),
    'AdamW.step(), 1024 × 1K': () => manyOpt.step(),
    'functional.adamw, 1024 × 1K': () =>
      functional.adamw(many.map((p) => p.data), many.map((p) => p.grad), m, v, null, {
        step: ++step, lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: false,
      }),
  };
  const names = Object.keys(fns);
  const times = Object.fromEntries(names.map((k) => [k, []]));
  for (let r = 0; r < warmup; r++) for (const k of names) fns[k]();
  for (let r = 0; r < rounds; r++) for (const k of names) times[k].push(timeOnce(fns[k]));
  const base = times[names[0]];
  return names.map((k) => ({
    task: k,
    'µs/step': +median(times[k]).toFixed(1),
    'vs 1 × 1M': +median(times[k].map((t, i) => t / base[i])).toFixed(2),
  }));
}
