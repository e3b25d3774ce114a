// What a user would feel: a step of the same training at ≥1M parameters with this package's fused
// optimizer against what they would use without it: this package's TS backend on the hand-written
// MLP, and TF.js (tfjs-layers on the wasm backend) with tf.train.adam against the
// fused-optim/tfjs drop-in. A few steps each (an epoch at this size takes minutes in plain JS);
// the time per epoch is the time per step times the steps in an epoch. Times are medians over the
// steps timed: on a shared machine one step can be descheduled.
import { Adam, backendInfo, useBackend } from 'fused-optim';
import { PIXELS, CLASSES } from './mnist.mjs';
import { Mlp } from './mlp.mjs';
import { tfjs, useTfjsBackend } from './tfjs-backend.mjs';
import { median } from './throughput.mjs';

/** Hand-written MLP + Adam on fused-optim's `backend`. */
function handRun(data, { sizes, batch, steps, backend }) {
  const previous = backendInfo().name;
  useBackend(backend);
  try {
    const model = new Mlp(sizes, { seed: 1, maxBatch: batch });
    const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
    const total = [], inOptimizer = [];
    for (let s = -1; s < steps; s++) {
      // Step -1 warms up (JIT, state allocation) and is not timed.
      const start = (s + 1) * batch % (data.train.n - batch);
      const t0 = performance.now();
      model.lossAndGrad(data.train.x.subarray(start * PIXELS, (start + batch) * PIXELS), data.train.labels.subarray(start, start + batch), batch);
      const t1 = performance.now();
      optimizer.step();
      const t2 = performance.now();
      if (s >= 0) total.push(t2 - t0), inOptimizer.push(t2 - t1);
    }
    return { msPerStep: median(total), optimizerMsPerStep: median(inOptimizer) };
  } finally {
    useBackend(previous);
  }
}

/** The same MLP in tfjs-layers, trained by trainOnBatch with the given tf.train-style optimizer. */
export async function tfjsRun(libs, data, { sizes, batch, steps }, optimizer) {
  const { tf, layers } = libs;
  const model = layers.sequential();
  for (let l = 1; l < sizes.length; l++)
    model.add(layers.layers.dense({
      units: sizes[l],
      activation: l + 1 < sizes.length ? 'relu' : 'softmax',
      ...(l === 1 ? { inputShape: [sizes[0]] } : {}),
    }));
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  let inOptimizer = 0;
  const apply = optimizer.applyGradients.bind(optimizer);
  // The wasm backend runs kernels synchronously, so timing the call times the update.
  optimizer.applyGradients = (...args) => {
    const t = performance.now();
    const out = apply(...args);
    inOptimizer = performance.now() - t;
    return out;
  };
  const oneHot = new Float32Array(batch * CLASSES);
  const total = [], optimizerTimes = [];
  for (let s = -1; s < steps; s++) {
    const start = (s + 1) * batch % (data.train.n - batch);
    oneHot.fill(0);
    for (let b = 0; b < batch; b++) oneHot[b * CLASSES + data.train.labels[start + b]] = 1;
    const xs = tf.tensor2d(data.train.x.subarray(start * PIXELS, (start + batch) * PIXELS), [batch, PIXELS]);
    const ys = tf.tensor2d(oneHot, [batch, CLASSES]);
    inOptimizer = 0;
    const t = performance.now();
    await model.trainOnBatch(xs, ys);
    if (s >= 0) total.push(performance.now() - t), optimizerTimes.push(inOptimizer);
    xs.dispose();
    ys.dispose();
  }
  model.dispose();
  optimizer.dispose();
  return { msPerStep: median(total), optimizerMsPerStep: median(optimizerTimes) };
}

/** fusedTrain from fused-optim/tfjs, or null while that subpath does not resolve. */
async function fusedTrainOrNull() {
  try {
    const module = await import('fused-optim/tfjs');
    return typeof module.fusedTrain === 'function' ? module.fusedTrain : null;
  } catch {
    return null;
  }
}

/**
 * @returns {{ parameters, batch, stepsPerEpoch, stepsTimed, runs: { label, msPerStep?, optimizerMsPerStep?, secondsPerEpoch?, skipped? }[] }}
 */
export async function userFeel(data, { sizes, batch, steps, stepsPerEpoch, onRun = () => {} }) {
  const runs = [];
  const add = (label, result) => {
    const run = result.skipped ? { label, ...result } : { label, ...result, secondsPerEpoch: (result.msPerStep * stepsPerEpoch) / 1e3 };
    runs.push(run);
    onRun(run);
  };
  if (backendInfo().name === 'native' || !backendInfo().nativeError)
    add(`MLP on Float32Arrays + fused-optim Adam, native ${backendInfo().isa}`, handRun(data, { sizes, batch, steps, backend: 'native' }));
  add('MLP on Float32Arrays + fused-optim Adam, TS backend', handRun(data, { sizes, batch, steps, backend: 'js' }));
  const libs = tfjs();
  if (libs === null || libs.layers === null) {
    add('TF.js wasm + tf.train.adam', { skipped: 'TensorFlow.js (tfjs-core, -backend-wasm, -layers) is not installed' });
    add('TF.js wasm + fused-optim/tfjs adam', { skipped: 'TensorFlow.js is not installed' });
  } else {
    const tfBackend = await useTfjsBackend('wasm');
    add(`TF.js wasm (${tfBackend.variant}) + tf.train.adam`, await tfjsRun(libs, data, { sizes, batch, steps }, libs.tf.train.adam(1e-3)));
    const fusedTrain = await fusedTrainOrNull();
    if (fusedTrain === null) add('TF.js wasm + fused-optim/tfjs adam', { skipped: "'fused-optim/tfjs' is not available in this build" });
    else add(`TF.js wasm (${tfBackend.variant}) + fused-optim/tfjs adam`, await tfjsRun(libs, data, { sizes, batch, steps }, fusedTrain(libs.tf).adam(1e-3)));
  }
  const parameters = sizes.slice(1).reduce((sum, width, l) => sum + (sizes[l] + 1) * width, 0);
  return { sizes, parameters, batch, stepsPerEpoch, stepsTimed: steps, runs };
}
