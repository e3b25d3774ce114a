// `npm run bench`: optimizer steps against this machine's memory bandwidth, measured in the
// same run by a native streaming probe of the same shape (4 arrays read, 3 written), and against
// the pure-TypeScript backend. Prints a table and writes bench/results/latest.json.
// `--quick` (CI) runs shorter and at 1M only.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { backendInfo, functional, gradNorm, useBackend } from 'fused-optim';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const sizes = quick ? [1 << 20] : [1 << 20, 1 << 24];
const time = quick ? 150 : 800;
const addon = createRequire(import.meta.url)(join(root, 'build', 'Release', 'fused_optim.node'));
const probeKind = addon.kinds().probe.index;

function arrays(n, count) {
  return Array.from({ length: count }, (_, k) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = Math.sin(i * 0.37 + k) * (k === 3 ? 0 : 1) + (k === 3 ? 1e-3 : 0);
    return a;
  });
}

/** Each task: bytes moved per element, and a step function over arrays of n elements. */
function tasks(n) {
  const [p, g, m, v, extra] = arrays(n, 5);
  const P = [p], G = [g], M = [m], V = [v], X = [extra];
  let step = 0;
  const adamOpts = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: false };
  const common = { lr: 1e-4, weightDecay: 0.01, maximize: false };
  const F = functional;
  return {
    'probe 4r/3w': [28, () => addon.step(probeKind, { a: P, b: G, c: M, d: V }, new Float64Array(1))],
    'probe read': [4, () => addon.reduce(G, 3)],
    AdamW: [28, () => F.adamw(P, G, M, V, null, { ...adamOpts, step: ++step })],
    'Adam amsgrad': [36, () => F.adam(P, G, M, V, X, { ...adamOpts, amsgrad: true, step: ++step })],
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
  };
}

/** Busy native work for a while first: idle vCPUs and sleeping pool threads take time to come up. */
function warmUp(fns, ms) {
  const until = performance.now() + ms;
  while (performance.now() < until) for (const [, fn] of Object.values(fns)) fn();
}

async function measure(label, fns, backend) {
  useBackend(backend);
  if (backend === 'native') warmUp(fns, quick ? 300 : 1500);
  const bench = new Bench({ name: label, time, warmup: true, warmupTime: Math.min(200, time) });
  for (const [name, [, fn]] of Object.entries(fns)) if (backend === 'native' || !name.startsWith('probe')) bench.add(name, fn);
  // The probes run again last; the faster of the two runs is the ceiling (the stricter yardstick).
  if (backend === 'native') for (const name of ['probe 4r/3w', 'probe read']) bench.add(`${name} (again)`, fns[name][1]);
  await bench.run();
  const seconds = {};
  for (const task of bench.tasks) seconds[task.name] = (task.result?.latency?.median ?? task.result?.period) / 1e3;
  for (const name of ['probe 4r/3w', 'probe read'])
    if (seconds[`${name} (again)`] !== undefined) seconds[name] = Math.min(seconds[name], seconds[`${name} (again)`]);
  return seconds;
}

const info = backendInfo();
const results = { machine: { ...info, cpus: (await import('node:os')).cpus()[0]?.model, node: process.version }, date: new Date().toISOString(), sizes: {} };
console.log(`fused-optim bench: native ${info.isa}, ${info.threads} threads; ${quick ? 'quick' : 'full'} run\n`);
for (const n of sizes) {
  const fns = tasks(n);
  const native = await measure(`native ${n}`, fns, 'native');
  const js = n <= 1 << 20 || !quick ? await measure(`js ${n}`, tasks(n), 'js') : {};
  const probeGBs = (28 * n) / native['probe 4r/3w'] / 1e9;
  const readGBs = (4 * n) / native['probe read'] / 1e9;
  const rows = Object.entries(fns).map(([name, [bytes]]) => {
    const melem = n / native[name] / 1e6;
    const gbs = (bytes * n) / native[name] / 1e9;
    const ceiling = bytes === 4 ? readGBs : probeGBs;
    return {
      task: name,
      'native Melem/s': Math.round(melem),
      'GB/s': +gbs.toFixed(1),
      '% of probe': name.startsWith('probe') ? 100 : Math.round((100 * gbs) / ceiling),
      'js Melem/s': js[name] ? Math.round(n / js[name] / 1e6) : null,
      'native / js': js[name] ? +(js[name] / native[name]).toFixed(1) : null,
    };
  });
  console.log(`${(n / (1 << 20)).toFixed(0)}M elements (probe: ${probeGBs.toFixed(1)} GB/s 4r/3w, ${readGBs.toFixed(1)} GB/s read-only)`);
  console.table(rows);
  results.sizes[n] = rows;
}
useBackend('native');
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
const out = join(root, 'bench', 'results', quick ? 'quick.json' : 'latest.json');
writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
console.log(`written: ${out}`);
