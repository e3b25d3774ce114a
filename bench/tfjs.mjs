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
// - The backends are loaded and selected by scripts/report/tfjs-backend.mjs (shared with the report).
import { tfjs, useTfjsBackend } from '../scripts/report/tfjs-backend.mjs';

const { tf } = tfjs() ?? (() => { throw new Error('the bench needs the TensorFlow.js dev dependencies: npm install'); })();

/** Everything tfjsTasks() created: optimizers and tensors (variables, gradients). */
let owned = [];

/** Sets up TF.js with the given backend ('cpu' | 'wasm'); returns { name, variant } describing what runs
 *  (plus `file`: the wasm binary, and `version`: the tfjs-core version). */
export async function setupTfjs(backend) {
  if (owned.length) disposeTfjs();
  return useTfjsBackend(backend);
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
