// Where a fused momentum step on TF.js's cpu backend goes, and how fast it could be at all.
// The drop-in's step is out of place (the old value read from TF.js's array, the new one written
// into a fresh array): the kernel in place, out of place into a reused array and into a fresh
// unfilled one (page faults included) are timed apart. Momentum moves 20 bytes per parameter
// (param read + written, gradient read, buffer read + written); the fastest possible step is those bytes at the machine's bandwidth, measured here
// with the native streaming probe (28 B per element, no arithmetic) at 1M elements (the
// working set stays in cache between steps, as in the drop-in benchmark) and with the momentum
// kernel itself at 16M (memory-bound). Everything is timed in one run, minimum of many calls
// (the least disturbed figure on a shared machine) and median.
// Usage: node bench/tfjs-profile.mjs [--quick]. Prints a table, returns rows.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { backendInfo, functional, setThreads } from 'fused-optim';
import { fusedTrain } from 'fused-optim/tfjs';
import { probeAddon } from '../scripts/report/throughput.mjs';

const require = createRequire(import.meta.url);

function time(fn, reps) {
  const t = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { min: t[0], median: t[reps >> 1] };
}

export async function tfjsProfile({ quick = false } = {}) {
  const tf = require('@tensorflow/tfjs');
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const n = 1 << 20;
  const reps = quick ? 100 : 600;
  const grad = tf.randomNormal([n], 0, 0.01);
  const v = tf.variable(tf.randomNormal([n]), true);
  const feed = [{ name: v.name, tensor: grad }];
  const stock = tf.train.momentum(1e-3, 0.9), fused = fusedTrain(tf).momentum(1e-3, 0.9);
  stock.applyGradients(feed);
  fused.applyGradients(feed);
  const p = new Float32Array(n).fill(1), g = new Float32Array(n).fill(1e-3), buf = new Float32Array(n), out = new Float32Array(n);
  const sgdOptions = { lr: 1e-3, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 };
  const kernel = () => functional.sgd([p], [g], [buf], sgdOptions);
  const unfilled = () => {
    const b = Buffer.allocUnsafeSlow(4 * n);
    return new Float32Array(b.buffer, b.byteOffset, n);
  };
  const addon = probeAddon();
  const probe = addon === null ? null : (() => {
    const c = new Float32Array(n), d = new Float32Array(n);
    return () => addon.probe({ a: [p], b: [g], c: [c], d: [d] });
  })();
  // The addon's own step, in place and out of place (streams.paramOut), with no functional-layer
  // checks around it: the kernel's time alone.
  const sgdStep = addon === null ? null : (() => {
    const layout = addon.kinds().sgd;
    const named = { gradScale: 1, weightDecay: 0, hasWeightDecay: 0, momentum: 0.9, oneMinusDampening: 1, lr: 1e-3, hasMomentum: 1, nesterov: 0, firstStep: 0 };
    const scalars = Float64Array.from(layout.scalars, (sc) => named[sc.name]);
    return (paramOut) => addon.step(layout.index, { param: [p], grad: [g], momentumBuffer: [buf], paramOut }, scalars);
  })();
  const parts = {
    'tf.train.momentum step': [() => stock.applyGradients(feed), quick ? 10 : 30],
    'fused momentum step (whole)': [() => fused.applyGradients(feed), reps],
    'momentum kernel alone, in place (functional.sgd)': [kernel, reps],
    'copy old value into a new array (set), the pass out of place saves': [() => out.set(p), reps],
    'new 4 MB array, zero-filled (new Float32Array)': [() => new Float32Array(n)[n - 1], reps],
    'new 4 MB array, unfilled (as the drop-in)': [() => unfilled()[n - 1], reps],
    'tf.tensor + assign of a new array': [() => {
      const t = tf.tensor(unfilled(), [n], 'float32');
      v.assign(t);
      t.dispose();
    }, reps],
  };
  if (sgdStep) {
    parts['momentum kernel, in place (addon)'] = [() => sgdStep(null), reps];
    parts['momentum kernel, out of place into a reused array (addon)'] = [() => sgdStep([out]), reps];
    parts['momentum kernel, out of place into a new unfilled array (addon, as the drop-in)'] = [() => sgdStep([unfilled()]), reps];
  }
  if (probe) parts['bandwidth probe, 28 B/element (1M, in cache)'] = [probe, reps];
  const rows = [];
  const ms = {};
  for (const [what, [fn, count]] of Object.entries(parts)) {
    ms[what] = time(fn, count);
    rows.push({ what, 'min ms': ms[what].min.toFixed(3), 'median ms': ms[what].median.toFixed(3) });
  }
  // Memory-bound figure: the kernel over 16M elements (192 MB per step, beyond any cache).
  const N = quick ? 1 << 22 : 1 << 24;
  const P = new Float32Array(N).fill(1), G = new Float32Array(N).fill(1e-3), B = new Float32Array(N);
  const big = time(() => functional.sgd([P], [G], [B], sgdOptions), quick ? 5 : 20);
  const bytes = 20 * n;
  const cacheGBs = probe ? (28 * n) / ms['bandwidth probe, 28 B/element (1M, in cache)'].min / 1e6 : NaN;
  const memoryGBs = (20 * N) / big.min / 1e6;
  // Ratios from minimums, the figure least moved by other load (tf.train's median can double).
  const stockMs = ms['tf.train.momentum step'].min;
  rows.push({ what: `momentum kernel, ${N >> 20}M elements: memory bandwidth`, 'min ms': big.min.toFixed(2), 'median ms': `${memoryGBs.toFixed(1)} GB/s` });
  for (const [label, gbs] of [['in-cache', cacheGBs], ['memory', memoryGBs]])
    rows.push({
      what: `bound: 20 B/param at ${label} bandwidth (${gbs.toFixed(1)} GB/s); best ratio vs tf.train (mins)`,
      'min ms': (bytes / gbs / 1e6).toFixed(3),
      'median ms': `${(stockMs / (bytes / gbs / 1e6)).toFixed(0)}×`,
    });
  rows.push({ what: 'fused step now: ratio vs tf.train (mins)', 'min ms': '', 'median ms': `${(stockMs / ms['fused momentum step (whole)'].min).toFixed(1)}×` });
  fused.dispose();
  stock.dispose();
  tf.dispose([v, grad]);
  setThreads(backendInfo().threads);
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await tfjsProfile({ quick: process.argv.includes('--quick') });
  console.log(`fused momentum on TF.js's cpu backend, 1M parameters (${JSON.stringify(backendInfo())})`);
  console.table(rows);
}
