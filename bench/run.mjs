// `npm run bench`: optimizer steps against this machine's memory bandwidth, measured in the
// same run by a native streaming probe of the same shape (4 arrays read, 3 written), against the
// WebAssembly and pure-TypeScript backends, a naive JS loop, and TensorFlow.js (wasm and cpu
// backends).
// Prints a table per size and writes bench/results/latest.{json,svg} (ignored by git: a run never
// rewrites a committed file; the run the README quotes is bench/reference/latest.json).
// `--quick` (CI) runs shorter, at 1M only, and writes bench/results/quick.{json,svg}.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendInfo, useBackend } from 'fused-optim';
import { measureAll, probeAddon, stepTasks, throughputRows, warmUp } from '../scripts/report/throughput.mjs';
import { chartSvg } from './chart.mjs';
import { lowmemFormats } from './lowmem.mjs';
import { manyTensors } from './many-tensors.mjs';
import { pairedRatios } from './paired.mjs';
import { disposeTfjs, setupTfjs, tfjsTasks } from './tfjs.mjs';
import { tfjsDropin } from './tfjs-dropin.mjs';
import { tfjsProfile } from './tfjs-profile.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const sizes = quick ? [1 << 20] : [1 << 20, 1 << 24];
// Few minimum iterations: a 16M step of the TS backend or TF.js takes ~0.1 s.
const timing = { time: quick ? 150 : 800, iterations: quick ? 4 : 10 };
const addon = probeAddon();
if (addon === null) throw new Error('the bench needs the native addon: npm run build:addon');

/** Median seconds per call of each function. */
const measure = (fns) => measureAll(fns, timing);

const info = backendInfo();
const machine = { ...info, cpu: cpus()[0]?.model, cores: cpus().length, node: process.version };
const results = { machine, date: new Date().toISOString(), quick, sizes: {} };
console.log(`fused-optim bench: native ${info.isa}, ${info.threads} threads, ${machine.cpu}; ${quick ? 'quick' : 'full'} run\n`);
const melems = (n, s) => (s === undefined ? null : Math.round(n / s / 1e6));
const ratio = (a, b) => (a === undefined || b === undefined ? null : +(b / a).toFixed(1));

for (const n of sizes) {
  const fns = stepTasks(n, { addon, naive: true });
  const fn = (names) => Object.fromEntries(names.map((k) => [k, fns[k][1]]));
  const nativeNames = Object.keys(fns).filter((k) => k !== 'naive JS AdamW');
  useBackend('native');
  warmUp(fn(nativeNames), quick ? 300 : 1500);
  // The probes run first and again last; the faster run is the ceiling (the stricter yardstick).
  const native = measure({ ...fn(nativeNames), 'probe 4r/3w again': fns['probe 4r/3w'][1], 'probe read again': fns['probe read'][1] });
  for (const k of ['probe 4r/3w', 'probe read']) native[k] = Math.min(native[k], native[`${k} again`]);
  useBackend('wasm');
  const wasm = measure(fn(nativeNames.filter((k) => !k.startsWith('probe'))));
  useBackend('js');
  const js = measure(fn([...nativeNames.filter((k) => !k.startsWith('probe')), 'naive JS AdamW']));
  useBackend('native');
  const tf = {};
  for (const backend of n <= 1 << 20 ? ['wasm', 'cpu'] : quick ? [] : ['wasm']) {
    const { variant } = await setupTfjs(backend);
    tf[backend] = { variant, seconds: measure(tfjsTasks(n)) };
    disposeTfjs();
  }
  const { rows: shared, writeGBs: probeGBs, readGBs } = throughputRows(n, fns, { native, wasm, js });
  const rows = shared.map((row) => ({
    ...row,
    'wasm/tfjs-wasm': ratio(wasm[row.task], tf.wasm?.seconds[row.task]),
    'tfjs-wasm Melem/s': melems(n, tf.wasm?.seconds[row.task]),
    'native/tfjs-wasm': ratio(native[row.task], tf.wasm?.seconds[row.task]),
    'tfjs-cpu Melem/s': melems(n, tf.cpu?.seconds[row.task]),
  }));
  const label = `${n / (1 << 20)}M`;
  const paired = pairedRatios(addon, n, quick ? 20 : n > 1 << 20 ? 60 : 300);
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
disposeTfjs();
const dropin = await tfjsDropin({ quick });
console.log('fused-optim/tfjs vs tf.train (one step on 1M parameters; a model.fit epoch)');
console.table(dropin);
results.tfjsDropin = dropin;
const profile = await tfjsProfile({ quick });
console.log("fused momentum on TF.js's cpu backend: where the step goes, and the bandwidth bound");
console.table(profile);
results.tfjsProfile = profile;
useBackend('native');
const dir = join(root, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const base = join(dir, quick ? 'quick' : 'latest');
writeFileSync(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
writeFileSync(`${base}.svg`, await chartSvg(results));
console.log(`written: ${base}.json, ${base}.svg`);
