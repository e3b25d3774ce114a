// A TF.js model trained with fused-optim/tfjs: the one-line change from tf.train.adam, plus an
// optimizer TF.js lacks (AdamW) driven by a fused-optim LR schedule with gradient clipping.
// Run: node examples/tfjs-model.mjs   (needs @tensorflow/tfjs installed next to fused-optim)
import * as tf from '@tensorflow/tfjs';
import { clipCoefficient, CosineAnnealingLR } from 'fused-optim';
import { fusedTrain } from 'fused-optim/tfjs';

tf.enableProdMode();
await tf.setBackend('cpu');
const train = fusedTrain(tf);

// y = sin(3x₀) + x₁² on [-1, 1]², 1024 samples
const xs = tf.randomUniform([1024, 2], -1, 1, 'float32', 1);
const ys = tf.tidy(() => {
  const [x0, x1] = tf.split(xs, 2, 1);
  return tf.add(tf.sin(tf.mul(x0, 3)), tf.square(x1));
});

function makeModel(optimizer) {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 64, activation: 'tanh', inputShape: [2], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer, loss: 'meanSquaredError' });
  return model;
}

// 1. The one-line change: tf.train.adam(0.01) → train.adam(0.01). Same loss curve.
const lossesOf = async (optimizer) => {
  const model = makeModel(optimizer);
  const history = await model.fit(xs, ys, { epochs: 5, batchSize: 64, shuffle: false, verbose: 0 });
  model.dispose();
  return history.history.loss;
};
const stock = await lossesOf(tf.train.adam(0.01));
const fused = await lossesOf(train.adam(0.01));
console.log('epoch  tf.train.adam  train.adam (fused)');
stock.forEach((l, i) => console.log(`${i + 1}      ${l.toFixed(6)}       ${fused[i].toFixed(6)}`));

// 2. AdamW with a cosine schedule, gradients clipped to norm 1 inside the fused step.
const adamw = train.adamw({ lr: 0.02, weightDecay: 1e-4 });
adamw.stepOptions = (grads) => ({ gradScale: clipCoefficient(grads, 1.0).coefficient, skipIfNonFinite: true });
const schedule = new CosineAnnealingLR(adamw, { tMax: 5 });
const model = makeModel(adamw);
for (let epoch = 1; epoch <= 5; epoch++) {
  const h = await model.fit(xs, ys, { epochs: 1, batchSize: 64, shuffle: false, verbose: 0 });
  console.log(`adamw epoch ${epoch}: loss ${h.history.loss[0].toFixed(6)}, lr ${adamw.learningRate.toExponential(3)}`);
  schedule.step();
}
model.dispose();
tf.dispose([xs, ys]);
