#!/usr/bin/env node
// npm run soak: many optimizer steps in one process, with resident memory, the JS heap and the
// process's handles, threads and file descriptors sampled as they go; fails if any of them grows.
// The short form (the default, which CI runs) takes a few minutes; --long is the full soak.
//
//   node scripts/soak.mjs [--long] [--small-steps N] [--large-steps N] [--optimizers AdamW,SGD,...]
//                         [--modes sync,async] [--simulate-leak BYTES] [--json FILE] [--trace]
//
// Phases: for each optimizer and mode (step() / stepAsync()), `small` steps over a model of small
// tensors (the per-step overheads: planning, pinned handles, async work objects), then `large`
// steps over one 16M-element tensor (a per-step copy of a tensor would show at once); then the
// TF.js drop-in's phases (tfjsPhases below, about 15 s of the short form; on both TF.js backends,
// fused on the addon and on fused-optim's wasm backend).
//
// How growth is judged. Each phase warms up for a tenth of its steps (JIT, per-group caches, the
// allocator's arenas), then samples every twentieth of the rest, each time after a full garbage
// collection. The first sample after the warm-up is the baseline; the phase fails if the last
// samples exceed it by more than the bounds below.
// - JS heap (heapUsed + external + arrayBuffers, after GC): at most 1 MiB. A step that retained
//   one small object (a plan, a promise, a 64-byte array) would leave ≥ 64 B × 18,000 = 1.1 MiB
//   behind over the short form's 18,000 measured small steps (≥ 6 B per step over the long
//   form's 180,000). Flat runs move by ±0.2 MiB.
// - Resident memory (RSS, after GC): at most 4 MiB. With V8's young generation pinned (below),
//   flat runs move by ±1 MiB. A native allocation leaked per step (an async work record with its
//   scalars and piece list is ≥ 256 B) passes 4 MiB within the short form's 18,000 steps; over
//   the long form, ≥ 24 B per step does. One 16M tensor's copy per large step (64 MiB) shows at
//   the second sample.
// - Active handles and requests (process.getActiveResourcesInfo()), threads (/proc/self/task),
//   open file descriptors (/proc/self/fd) and, in the TF.js phases, tf.memory().numTensors: not
//   one more than at the baseline.
// `--simulate-leak BYTES` retains BYTES per step on purpose, to see the bounds catch it.
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as fused from 'fused-optim';

// V8 grows its young generation (up to 2 × 16 MiB) as it sees fit and keeps it: a step in RSS
// that is no leak. Pinned to 1 MiB semi-spaces, the heap's size follows what is live.
const FIXED_YOUNG_GENERATION = '--max-semi-space-size=1';
if (!process.execArgv.includes(FIXED_YOUNG_GENERATION)) {
  const child = spawnSync(process.execPath, [FIXED_YOUNG_GENERATION, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

const MiB = 1 << 20;
const BOUNDS = { heapBytes: 1 * MiB, rssBytes: 4 * MiB, handles: 0, threads: 0, fds: 0, tensors: 0 };

function parseArgs(argv) {
  const long = argv.includes('--long');
  const value = (name, fallback) => {
    const i = argv.indexOf(name);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
  };
  return {
    long,
    small: Number(value('--small-steps', long ? 200_000 : 20_000)),
    large: Number(value('--large-steps', long ? 200 : 10)),
    optimizers: value('--optimizers', 'AdamW,SGD,LAMB,RMSprop').split(','),
    modes: value('--modes', 'sync,async').split(','),
    leak: Number(value('--simulate-leak', 0)),
    json: value('--json', null),
    trace: argv.includes('--trace'),
  };
}

const FACTORIES = {
  AdamW: (p) => new fused.AdamW(p, { lr: 1e-3, amsgrad: true }),
  Adam: (p) => new fused.Adam(p, { lr: 1e-3 }),
  SGD: (p) => new fused.SGD(p, { lr: 1e-3, momentum: 0.9 }),
  LAMB: (p) => new fused.LAMB(p, { weightDecay: 0.01 }),
  // Not centered: with the soak's constant gradients, centered RMSprop's variance estimate
  // v − E[g]² goes to 0 and below in float32, and its square root to NaN (as in PyTorch).
  RMSprop: (p) => new fused.RMSprop(p, { momentum: 0.9 }),
  Adagrad: (p) => new fused.Adagrad(p),
  Lion: (p) => new fused.Lion(p),
  NAdam: (p) => new fused.NAdam(p),
};

// A small model: a few layers' weights and biases, 6.4K elements in all (one call, no pool).
const SMALL = [1, 7, 64, 1000, 4096, 17, 1200];
const LARGE = [1 << 24];

// Full GC, a turn of the event loop (array buffers' memory is released after their objects are
// collected), and GC again.
async function settle() {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}

async function sample() {
  await settle();
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heap: m.heapUsed + m.external + m.arrayBuffers,
    heapTotal: m.heapTotal,
    handles: process.getActiveResourcesInfo().length,
    threads: countEntries('/proc/self/task'),
    fds: countEntries('/proc/self/fd'),
  };
}

function countEntries(dir) {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0; // not Linux: nothing to count
  }
}

async function phase({ optimizer, mode, lengths, steps, leak }) {
  const params = lengths.map((n) => ({
    data: Float32Array.from({ length: n }, (_, k) => Math.sin(k)),
    grad: Float32Array.from({ length: n }, (_, k) => 0.01 * Math.cos(k)),
  }));
  const opt = FACTORIES[optimizer](params);
  return measure({
    optimizer,
    mode,
    elements: lengths.reduce((a, b) => a + b, 0),
    steps,
    leak,
    step: mode === 'async' ? () => opt.stepAsync() : () => opt.step(),
    finite: () => params.every((p) => p.data.every(Number.isFinite)),
  });
}

/**
 * Runs `step` `steps` times, sampling as the header says; `tensors` (TF.js phases) counts live
 * tensors, which must not grow at all.
 */
async function measure({ optimizer, mode, elements, steps, leak, step: runStep, finite, tensors = () => 0, warmupShare = 0.1 }) {
  await settle(); // the previous phase's arrays go before this one's baseline
  const warmup = Math.max(1, Math.floor(steps * warmupShare));
  const every = Math.max(1, Math.floor((steps - warmup) / 20));
  const retained = [];
  const samples = [];
  const started = performance.now();
  for (let step = 1; step <= steps; step++) {
    await runStep();
    if (leak > 0) retained.push(new Uint8Array(leak));
    if (step >= warmup && (step - warmup) % every === 0) {
      samples.push({ step, ...(await sample()), tensors: tensors() });
      if (options.trace) console.log(`  ${optimizer} ${mode} step ${step}: ${JSON.stringify(samples.at(-1))}`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const base = samples[0];
  // The largest excess over the baseline among the last quarter of samples: a leak grows to the
  // end; a page the allocator has just taken and will reuse shows in one sample, not in all.
  const tail = samples.slice(Math.floor(samples.length * 0.75));
  const growth = (key) => Math.min(...tail.map((s) => s[key] - base[key]));
  const result = {
    optimizer,
    mode,
    elements,
    steps,
    seconds: +seconds.toFixed(1),
    stepsPerSecond: Math.round(steps / seconds),
    measuredSteps: samples.at(-1).step - base.step,
    rssMiB: +(base.rss / MiB).toFixed(1),
    rssGrowthKiB: Math.round(growth('rss') / 1024),
    heapGrowthKiB: Math.round(growth('heap') / 1024),
    handles: `${base.handles}→${samples.at(-1).handles}`,
    threads: `${base.threads}→${samples.at(-1).threads}`,
    fds: `${base.fds}→${samples.at(-1).fds}`,
    tensors: `${base.tensors}→${samples.at(-1).tensors}`,
    failures: [],
  };
  if (!finite()) result.failures.push('parameters became non-finite');
  if (growth('rss') > BOUNDS.rssBytes) result.failures.push(`RSS grew ${result.rssGrowthKiB} KiB (bound ${BOUNDS.rssBytes / 1024})`);
  if (growth('heap') > BOUNDS.heapBytes) result.failures.push(`JS heap grew ${result.heapGrowthKiB} KiB (bound ${BOUNDS.heapBytes / 1024})`);
  for (const key of ['handles', 'threads', 'fds', 'tensors'])
    if (growth(key) > BOUNDS[key]) result.failures.push(`${key} grew: ${result[key]}`);
  retained.length = 0;
  return result;
}

// ---- TF.js drop-in (fused-optim/tfjs) ---------------------------------------------------------
// fusedTrain(tf) optimizers stepping through applyGradients (fixed gradient tensors: the
// drop-in's own per-step work, without autodiff) on TF.js's cpu and wasm backends: Adam with
// float32 state over the small model, RMSprop with int8 state inside Lookahead over it, and Adam
// over one 1M-element variable (a fresh 4 MiB value per step, which must not pile up). Also
// judged: tf.memory().numTensors, not one more than at the baseline. Skipped (with a note) when
// @tensorflow/tfjs is not installed.
async function tfjsPhases({ long, leak }) {
  const { createRequire } = await import('node:module');
  const { dirname, sep } = await import('node:path');
  const require = createRequire(import.meta.url);
  let tf, tfwasm, fusedTrain;
  try {
    tf = require('@tensorflow/tfjs');
    tfwasm = require('@tensorflow/tfjs-backend-wasm');
    ({ fusedTrain } = await import('fused-optim/tfjs'));
  } catch (e) {
    console.log(`soak: TF.js phases skipped (${e.code ?? e.message})`);
    return [];
  }
  tf.enableProdMode();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  tfwasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + sep);
  const plain = fusedTrain(tf), int8 = fusedTrain(tf, { stateDtype: 'int8', min8bitSize: 0 });
  const makers = {
    'tfjs adam': () => plain.adam(1e-3),
    'tfjs rmsprop int8 lookahead': () => int8.lookahead(int8.rmsprop(1e-3, 0.9, 0.9), { k: 5 }),
  };
  const cases = [
    ...Object.keys(makers).map((name) => ({ name, lengths: SMALL, steps: long ? 30_000 : 1_600 })),
    { name: 'tfjs adam', lengths: [1 << 20], steps: long ? 1_000 : 40 },
    // fused-optim on its own wasm backend: on tfjs-wasm its kernels run inside TF.js's memory.
    { name: 'tfjs adam', lengths: SMALL, steps: long ? 30_000 : 1_600, fusedBackend: 'wasm' },
    { name: 'tfjs adam', lengths: [1 << 20], steps: long ? 1_000 : 40, fusedBackend: 'wasm' },
  ];
  const results = [];
  const setUp = (name, lengths) => {
    const vars = lengths.map((n) => tf.tidy(() => tf.variable(tf.sin(tf.range(0, n)))));
    const grads = lengths.map((n) => tf.tidy(() => tf.mul(tf.cos(tf.range(0, n)), 0.01)));
    const feed = vars.map((v, i) => ({ name: v.name, tensor: grads[i] }));
    return { vars, grads, feed, opt: makers[name]() };
  };
  for (const backend of ['cpu', 'wasm']) {
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} did not initialize`);
    // TF.js's first thousands of ops in a process still compile code and fill allocator
    // arenas (RSS that is no leak): a throwaway run first.
    const warm = setUp('tfjs adam', SMALL);
    for (let s = 0; s < 1500; s++) warm.opt.applyGradients(warm.feed);
    warm.opt.dispose();
    tf.dispose([...warm.vars, ...warm.grads]);
    for (const { name, lengths, steps, fusedBackend = 'native' } of cases) {
      const { vars, grads, feed, opt } = setUp(name, lengths);
      fused.useBackend(fusedBackend);
      const r = await measure({
        optimizer: fusedBackend === 'native' ? name : `${name}, fused ${fusedBackend}`,
        mode: `tfjs-${backend}`,
        elements: lengths.reduce((a, b) => a + b, 0),
        steps,
        leak,
        step: () => opt.applyGradients(feed),
        finite: () => vars.every((v) => v.dataSync().every(Number.isFinite)),
        tensors: () => tf.memory().numTensors,
        // TF.js's own allocations (a new array per op result) take longer to reach the
        // allocator's steady state than fused-optim's alone: half the steps warm up.
        warmupShare: 0.5,
      });
      fused.useBackend('native');
      opt.dispose();
      tf.dispose([...vars, ...grads]);
      results.push(r);
      const { failures, ...shown } = r;
      console.log(JSON.stringify(shown) + (failures.length ? `  FAILED: ${failures.join('; ')}` : ''));
    }
  }
  return results;
}
// -----------------------------------------------------------------------------------------------

const options = parseArgs(process.argv.slice(2));
const info = fused.backendInfo();
console.log(
  `soak (${options.long ? 'long' : 'short'}): ${info.name}/${info.isa}, ${info.threads} threads, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`,
);
console.log(
  `bounds: RSS +${BOUNDS.rssBytes / MiB} MiB, JS heap +${BOUNDS.heapBytes / MiB} MiB, handles/threads/fds/tensors +0 (after warm-up, after GC)`,
);
const results = [];
for (const [lengths, steps] of [
  [SMALL, options.small],
  [LARGE, options.large],
])
  for (const optimizer of options.optimizers)
    for (const mode of options.modes) {
      if (!(optimizer in FACTORIES)) throw new RangeError(`--optimizers: unknown optimizer '${optimizer}'`);
      if (steps < 2) continue;
      const r = await phase({ optimizer, mode, lengths, steps, leak: options.leak });
      results.push(r);
      const { failures, ...shown } = r;
      console.log(JSON.stringify(shown) + (failures.length ? `  FAILED: ${failures.join('; ')}` : ''));
    }
results.push(...(await tfjsPhases(options)));

const failed = results.filter((r) => r.failures.length > 0);
if (options.json)
  writeFileSync(options.json, JSON.stringify({ info, node: process.version, options, bounds: BOUNDS, results }, null, 2) + '\n');
console.table(
  results.map(({ optimizer, mode, elements, steps, stepsPerSecond, rssGrowthKiB, heapGrowthKiB, handles, threads, fds, tensors }) => ({
    optimizer,
    mode,
    elements,
    steps,
    'steps/s': stepsPerSecond,
    'RSS growth KiB': rssGrowthKiB,
    'heap growth KiB': heapGrowthKiB,
    handles,
    threads,
    fds,
    tensors,
  })),
);
if (failed.length > 0) {
  console.error(`soak: ${failed.length} of ${results.length} phases grew past their bounds`);
  process.exit(1);
}
console.log(`soak: ${results.length} phases flat`);
