// TF.js baselines for the bench: one optimizer update of one float32 variable of n elements, done by
// TF.js's own optimizers (tf.train.*) on the 'cpu' (plain JS kernels) or 'wasm' (XNNPACK, SIMD) backend.
//
// Usage:
//   const { name, variant } = await setupTfjs('wasm');   // or 'cpu'
//   const fns = tfjsTasks(1 << 20);                      // { Adam, SGD, 'SGD momentum', RMSprop }: () => void
//   fns.Adam();                                          // one complete update (synchronous)
//   disposeTfjs();                                       // before setupTfjs() with the other backend
//
// Notes:
// - Both backends run every kernel eagerly and synchronously (no command queue, unlike webgl/webgpu), so when
//   a step function returns the update is finished and written to the variable; nothing is read back.
// - The wasm binary is loaded from node_modules/@tensorflow/tfjs-backend-wasm/dist/ (setWasmPaths with that
//   directory; Emscripten reads it with fs under Node). TF.js never reports multithreading support under Node
//   (it needs a worker-based pthread pool), so the single-threaded SIMD binary runs; we also pin the flag.
// - setupTfjs() calls tf.enableProdMode(), which in tfjs-core 4.x only silences TF.js's own console warnings
//   (notably the cpu backend's "Hi, looks like you are running TensorFlow.js in Node.js..." banner).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';

// All three packages resolve to their CommonJS Node bundles ("main"), so they share one tfjs-core instance
// (one engine, one kernel registry). Mixing in the ESM builds ("module") would create a second engine.
const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfwasm = require('@tensorflow/tfjs-backend-wasm');

const WASM_DIR = dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + sep; // .../dist/
let wasmPathsSet = false;

/** Everything tfjsTasks() created: optimizers and tensors (variables, gradients). */
let owned = [];

/** Sets up TF.js with the given backend ('cpu' | 'wasm'); returns { name, variant } describing what runs
 *  (plus `file`: the wasm binary, and `version`: the tfjs-core version). */
export async function setupTfjs(backend) {
  if (backend !== 'cpu' && backend !== 'wasm') throw new Error(`setupTfjs: unknown backend '${backend}' (expected 'cpu' or 'wasm')`);
  if (owned.length) disposeTfjs();
  tf.enableProdMode();
  let file = null;
  let variant = 'js';
  if (backend === 'wasm') {
    // The threaded-SIMD build needs a pthread pool of workers; keep to the single-threaded SIMD binary.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    variant = simd ? 'simd' : 'plain';
    file = join(WASM_DIR, simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm');
    if (!existsSync(file)) throw new Error(`setupTfjs: ${file} not found`);
    if (!wasmPathsSet) {
      tfwasm.setWasmPaths(WASM_DIR); // a directory prefix (must end with a separator); read via fs in Node
      wasmPathsSet = true;
    }
  }
  // Emscripten's Node glue (run when the wasm backend initializes) adds process 'uncaughtException' and
  // 'unhandledRejection' listeners that just rethrow: Node's default behaviour, but every later crash then
  // points into tf-backend-wasm.node.js. Drop exactly the listeners added during initialization.
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = events.map((e) => process.listeners(e));
  const ok = await tf.setBackend(backend);
  events.forEach((e, i) => { for (const l of process.listeners(e)) if (!before[i].includes(l)) process.removeListener(e, l); });
  if (!ok) throw new Error(`setupTfjs: TF.js backend '${backend}' failed to initialize`);
  await tf.ready();
  if (tf.getBackend() !== backend) throw new Error(`setupTfjs: active backend is '${tf.getBackend()}', not '${backend}'`);
  return { name: backend, variant, file, version: tf.version_core };
}

/** Deterministic values sin((i mod 4093) * 0.37 + phase) * scale: one period computed, then tiled (Math.sin
 *  over 2^24 distinct large arguments takes seconds). */
function values(n, phase, scale = 1) {
  const a = new Float32Array(n);
  const period = Math.min(n, 4093);
  for (let i = 0; i < period; i++) a[i] = Math.sin(i * 0.37 + phase) * scale;
  for (let filled = period; filled < n; filled *= 2) a.copyWithin(filled, 0, Math.min(filled, n - filled));
  return a;
}

/** Step functions { Adam, SGD, 'SGD momentum', RMSprop }: each does ONE update of its own variable of n
 *  float32 elements with a fixed gradient (created once). Each task is run once here so that the
 *  optimizer's slot variables (m, v, ...) exist; after that tf.memory().numTensors stays flat per call. */
export function tfjsTasks(n) {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`tfjsTasks: bad n ${n}`);
  const grad = tf.tensor1d(values(n, 1, 0.01));
  owned.push(grad);
  const makers = {
    Adam: () => tf.train.adam(1e-3),
    SGD: () => tf.train.sgd(1e-3),
    'SGD momentum': () => tf.train.momentum(1e-3, 0.9),
    RMSprop: () => tf.train.rmsprop(1e-3),
  };
  const start = values(n, 0);
  const fns = {};
  for (const [task, make] of Object.entries(makers)) {
    const init = tf.tensor1d(start.slice()); // a copy each: the cpu backend keeps the array it is given
    const variable = tf.variable(init, true); // auto-named, so repeated tfjsTasks() calls never clash
    init.dispose(); // the variable holds its own reference to the data
    const optimizer = make();
    owned.push(variable, optimizer);
    const feed = { [variable.name]: grad };
    // applyGradients runs inside the optimizer's own tidy(); the outer tidy is belt and braces.
    fns[task] = () => tf.tidy(() => optimizer.applyGradients(feed));
    fns[task](); // create the slot variables now, outside any timing
  }
  return fns;
}

/** Frees everything tfjsTasks created (variables, gradients, optimizers with their slot variables). */
export function disposeTfjs() {
  for (const x of owned.reverse()) {
    x.dispose();
    // tfjs-core 4.22: MomentumOptimizer.dispose() frees its momentum scalar but not the learning-rate scalar
    // (`c`) it inherits from SGDOptimizer; free any tensor an optimizer still holds directly.
    if (x instanceof tf.Optimizer) for (const t of Object.values(x)) if (t instanceof tf.Tensor && !t.isDisposed) t.dispose();
  }
  owned = [];
}
