// `npm run bench`: optimizer steps against this machine's memory bandwidth, measured in the
// same run by a native streaming probe of the same shape (4 arrays read, 3 written), against the
// WebAssembly and pure-TypeScript backends, a naive JS loop, and TensorFlow.js (wasm and cpu
// backends).
// Prints a table per size and writes bench/results/latest.{json,svg}.
// `--quick` (CI) runs shorter, at 1M only, and writes bench/results/quick.{json,svg}.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { backendInfo, functional, gradNorm, useBackend } from 'fused-optim';
import { chartSvg } from './chart.mjs';
import { lowmemFormats } from './lowmem.mjs';
import { manyTensors } from './many-tensors.mjs';
import { pairedRatios } from './paired.mjs';
import { disposeTfjs, setupTfjs, tfjsTasks } from './tfjs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const sizes = quick ? [1 << 20] : [1 << 20, 1 << 24];
const time = quick ? 150 : 800;
const addon = createRequire(import.meta.url)(join(root, 'build', 'Release', 'fused_optim.node'));
const probeKind = addon.kinds().probe.index;

function arrays(n, count) {
  // One period of a sine, tiled: filling 16M values with Math.sin one by one takes seconds.
  const period = Float32Array.from({ length: 4093 }, (_, i) => Math.sin(i * 0.37));
  return Array.from({ length: count }, (_, k) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i += period.length) a.set(period.subarray(0, Math.min(period.length, n - i)), i);
    if (k === 3) for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]) + 1e-3; // second moments stay positive
    return a;
  });
}

/** What a user would write by hand: AdamW in double precision, one element at a time. */
function naiveAdamW(p, g, m, v, lr, b1, b2, eps, wd, step) {
  const stepSize = lr / (1 - b1 ** step), bc2Sqrt = Math.sqrt(1 - b2 ** step);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    p[i] = p[i] * (1 - lr * wd) - (stepSize * m[i]) / (Math.sqrt(v[i]) / bc2Sqrt + eps);
  }
}

/** Each task: bytes moved per element, and one step over arrays of n elements. */
function tasks(n) {
  const [p, g, m, v, extra] = arrays(n, 5);
  const P = [p], G = [g], M = [m], V = [v], X = [extra];
  let step = 0;
  const adam = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: false };
  const common = { lr: 1e-4, weightDecay: 0.01, maximize: false };
  const F = functional;
  return {
    'probe 4r/3w': [28, () => addon.step(probeKind, { a: P, b: G, c: M, d: V }, new Float64Array(1))],
    'probe read': [4, () => addon.reduce(G, 3)],
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
    'naive JS AdamW': [28, () => naiveAdamW(p, g, m, v, 1e-4, 0.9, 0.999, 1e-8, 0.01, ++step)],
  };
}

/** Busy native work first: idle vCPUs and sleeping pool threads take time to come up. */
function warmUp(fns, ms) {
  const until = performance.now() + ms;
  while (performance.now() < until) for (const [name, [, fn]] of Object.entries(fns)) if (name !== 'naive JS AdamW') fn();
}

/** Median seconds per call of each function. */
async function measure(fns) {
  // Few minimum iterations: a 16M step of the TS backend or TF.js takes ~0.1 s.
  const bench = new Bench({ time, iterations: quick ? 4 : 10, warmup: true, warmupTime: Math.min(200, time), warmupIterations: 2 });
  for (const [name, fn] of Object.entries(fns)) bench.add(name, fn);
  await bench.run();
  const seconds = {};
  for (const task of bench.tasks) seconds[task.name] = (task.result?.latency?.median ?? task.result?.period) / 1e3;
  return seconds;
}

const info = backendInfo();
const machine = { ...info, cpu: cpus()[0]?.model, cores: cpus().length, node: process.version };
const results = { machine, date: new Date().toISOString(), quick, sizes: {} };
console.log(`fused-optim bench: native ${info.isa}, ${info.threads} threads, ${machine.cpu}; ${quick ? 'quick' : 'full'} run\n`);
const melems = (n, s) => (s === undefined ? null : Math.round(n / s / 1e6));
const ratio = (a, b) => (a === undefined || b === undefined ? null : +(b / a).toFixed(1));

for (const n of sizes) {
  const fns = tasks(n);
  const fn = (names) => Object.fromEntries(names.map((k) => [k, fns[k][1]]));
  const nativeNames = Object.keys(fns).filter((k) => k !== 'naive JS AdamW');
  useBackend('native');
  warmUp(fns, quick ? 300 : 1500);
  // The probes run first and again last; the faster run is the ceiling (the stricter yardstick).
  const native = await measure({ ...fn(nativeNames), 'probe 4r/3w again': fns['probe 4r/3w'][1], 'probe read again': fns['probe read'][1] });
  for (const k of ['probe 4r/3w', 'probe read']) native[k] = Math.min(native[k], native[`${k} again`]);
  useBackend('wasm');
  const wasm = await measure(fn(nativeNames.filter((k) => !k.startsWith('probe'))));
  useBackend('js');
  const js = await measure(fn([...nativeNames.filter((k) => !k.startsWith('probe')), 'naive JS AdamW']));
  useBackend('native');
  const tf = {};
  for (const backend of n <= 1 << 20 ? ['wasm', 'cpu'] : quick ? [] : ['wasm']) {
    const { variant } = await setupTfjs(backend);
    tf[backend] = { variant, seconds: await measure(tfjsTasks(n)) };
    disposeTfjs();
  }
  const probeGBs = (28 * n) / native['probe 4r/3w'] / 1e9;
  const readGBs = (4 * n) / native['probe read'] / 1e9;
  const rows = Object.entries(fns).map(([name, [bytes]]) => {
    const s = native[name];
    const gbs = s === undefined ? null : (bytes * n) / s / 1e9;
    return {
      task: name,
      'native Melem/s': melems(n, s),
      'GB/s': gbs === null ? null : +gbs.toFixed(1),
      '% of probe': gbs === null ? null : Math.round((100 * gbs) / (bytes === 4 ? readGBs : probeGBs)),
      'wasm Melem/s': melems(n, wasm[name]),
      'TS Melem/s': melems(n, js[name]),
      'native/TS': ratio(s, js[name]),
      'wasm/tfjs-wasm': ratio(wasm[name], tf.wasm?.seconds[name]),
      'tfjs-wasm Melem/s': melems(n, tf.wasm?.seconds[name]),
      'native/tfjs-wasm': ratio(s, tf.wasm?.seconds[name]),
      'tfjs-cpu Melem/s': melems(n, tf.cpu?.seconds[name]),
    };
  });
  rows.find((r) => r.task === 'naive JS AdamW')['TS Melem/s'] = melems(n, js['naive JS AdamW']);
  const label = `${n / (1 << 20)}M`;
  const paired = pairedRatios(root, n, quick ? 20 : n > 1 << 20 ? 60 : 300);
  console.log(`${label} elements (probe: ${probeGBs.toFixed(1)} GB/s 4 read/3 write, ${readGBs.toFixed(1)} GB/s read-only; tfjs-wasm: ${tf.wasm?.variant ?? 'not run'})`);
  console.table(rows);
  console.log(`% of probe measured in pairs (kernel and probe in turn, median ratio): AdamW ${paired.AdamW}%, gradNorm ${paired.gradNorm}% (of the read probe)\n`);
  const lowmem = lowmemFormats(n, quick ? 20 : n > 1 << 20 ? 30 : 200);
  console.log('AdamW state formats (stateDtype), timed in turn, all cores:');
  console.table(lowmem);
  results.sizes[label] = { probeGBs, readGBs, paired, lowmem, tfjs: Object.fromEntries(Object.entries(tf).map(([k, v]) => [k, v.variant])), rows };
}
useBackend('native');
const many = manyTensors(quick ? { rounds: 300, block: 25 } : {});
console.log('Call overhead: AdamW over 1024 tensors of 1K elements vs one tensor of 1M (cold: caches evicted between steps, as in training; warm: back to back)');
console.table(many);
results.manyTensors = many;
const dir = join(root, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const base = join(dir, quick ? 'quick' : 'latest');
writeFileSync(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
writeFileSync(`${base}.svg`, await chartSvg(results));
console.log(`written: ${base}.json, ${base}.svg`);
