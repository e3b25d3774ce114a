// Call overhead: an AdamW step over 1024 tensors of 1K elements against one over a single tensor
// of 1M elements (the same 1M parameters), through the Optimizer class as a training loop uses
// it, on the native backend. Also the functional API over the same 1024 tensors, which checks
// every list on every call (no per-group cache).
//
// The steps are timed in turn, so all see the same moments of a shared, noisy machine; each
// ratio is the median of ratios of measurements taken side by side.
import { pathToFileURL } from 'node:url';
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

/**
 * Median µs per step of each function and the median ratio of each to the first, measured two
 * ways. Cold: one call of each in turn, so each step finds its 16 MB evicted by the others' 32 MB,
 * as in a training loop where the forward and backward passes run between steps. Warm: blocks
 * of back-to-back calls, so each step finds its arrays in the last-level cache.
 */
export function manyTensors({ rounds = 1500, block = 50 } = {}) {
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
  for (let r = 0; r < 200; r++) for (const k of names) fns[k]();
  const cold = Object.fromEntries(names.map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) for (const k of names) cold[k].push(timeOnce(fns[k]));
  // Warm: the median of each block, blocks taken in turn; ratios of blocks taken side by side.
  const warm = Object.fromEntries(names.map((k) => [k, []]));
  for (let r = 0; r < rounds / block; r++)
    for (const k of names) {
      for (let i = 0; i < 5; i++) fns[k]();
      warm[k].push(median(Array.from({ length: block }, () => timeOnce(fns[k]))));
    }
  const row = (times, k) => ({
    'µs/step': +median(times[k]).toFixed(1),
    'vs 1 × 1M': +median(times[k].map((t, i) => t / times[names[0]][i])).toFixed(2),
  });
  return names.map((k) => {
    const c = row(cold, k), w = row(warm, k);
    return {
      task: k,
      'cold µs/step': c['µs/step'], 'cold vs 1 × 1M': c['vs 1 × 1M'],
      'warm µs/step': w['µs/step'], 'warm vs 1 × 1M': w['vs 1 × 1M'],
    };
  });
}

// Run alone: `node bench/many-tensors.mjs` prints the table (about a minute).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) console.table(manyTensors());
