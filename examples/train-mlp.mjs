// Train a small MLP on raw Float32Arrays with fused-optim: AdamW, a linear warmup then cosine
// learning-rate schedule, gradient-norm clipping, early stopping on the validation loss, and a
// checkpoint of the best epoch (weights + optimizer + schedule state) that a fresh process could
// resume from. No framework: the forward and backward passes are written out below.
//
//   node examples/train-mlp.mjs [checkpoint-file]
//
// The data: three interleaved spirals in the plane (a classic that a linear model cannot fit).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdamW, CosineAnnealingLR, EarlyStopping, LinearLR, SequentialLR,
  backendInfo, clipGradNorm, loadCheckpoint, saveCheckpoint,
} from 'fused-optim';

const CLASSES = 3, HIDDEN = 64, BATCH = 32, MAX_EPOCHS = 60;
const checkpointFile = process.argv[2] ?? join(mkdtempSync(join(tmpdir(), 'fused-optim-')), 'best.ckpt');

// --- data: n points per spiral arm, with noise; a fixed-seed generator so runs repeat ---------
let seed = 7;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
function spirals(perClass) {
  const x = new Float32Array(perClass * CLASSES * 2), y = new Uint8Array(perClass * CLASSES);
  for (let c = 0, row = 0; c < CLASSES; c++)
    for (let i = 0; i < perClass; i++, row++) {
      const r = i / perClass, angle = (c * 2 * Math.PI) / CLASSES + 4 * r + 0.3 * (random() - 0.5);
      x[2 * row] = r * Math.cos(angle);
      x[2 * row + 1] = r * Math.sin(angle);
      y[row] = c;
    }
  return { x, y, n: perClass * CLASSES };
}
const train = spirals(300), validation = spirals(100);

// --- model: 2 → HIDDEN (ReLU) → CLASSES, softmax cross-entropy ---------------------------------
const param = (name, n, scale) => ({ name, data: new Float32Array(n).map(() => (2 * random() - 1) * scale), grad: new Float32Array(n) });
const w1 = param('w1', 2 * HIDDEN, 1), b1 = param('b1', HIDDEN, 0);
const w2 = param('w2', HIDDEN * CLASSES, Math.sqrt(1 / HIDDEN)), b2 = param('b2', CLASSES, 0);
const params = [w1, b1, w2, b2];

/** Mean loss and accuracy over rows of `set`; with `backward`, also writes each parameter's .grad. */
function run(set, rows, backward) {
  const h = new Float32Array(HIDDEN), p = new Float32Array(CLASSES), dh = new Float32Array(HIDDEN);
  if (backward) for (const q of params) q.grad.fill(0);
  let loss = 0, correct = 0;
  for (const row of rows) {
    const x0 = set.x[2 * row], x1 = set.x[2 * row + 1], label = set.y[row];
    for (let j = 0; j < HIDDEN; j++) h[j] = Math.max(0, x0 * w1.data[j] + x1 * w1.data[HIDDEN + j] + b1.data[j]);
    let max = -Infinity;
    for (let k = 0; k < CLASSES; k++) {
      let z = b2.data[k];
      for (let j = 0; j < HIDDEN; j++) z += h[j] * w2.data[j * CLASSES + k];
      p[k] = z;
      max = Math.max(max, z);
    }
    let sum = 0;
    for (let k = 0; k < CLASSES; k++) sum += (p[k] = Math.exp(p[k] - max));
    for (let k = 0; k < CLASSES; k++) p[k] /= sum;
    loss -= Math.log(p[label]);
    if (p.indexOf(Math.max(...p)) === label) correct++;
    if (!backward) continue;
    p[label] -= 1; // dLoss/dLogits = softmax − one-hot
    dh.fill(0);
    for (let k = 0; k < CLASSES; k++) {
      const d = p[k] / rows.length;
      b2.grad[k] += d;
      for (let j = 0; j < HIDDEN; j++) {
        w2.grad[j * CLASSES + k] += h[j] * d;
        dh[j] += w2.data[j * CLASSES + k] * d;
      }
    }
    for (let j = 0; j < HIDDEN; j++) {
      if (h[j] === 0) continue; // the ReLU let nothing through
      b1.grad[j] += dh[j];
      w1.grad[j] += x0 * dh[j];
      w1.grad[HIDDEN + j] += x1 * dh[j];
    }
  }
  return { loss: loss / rows.length, accuracy: correct / rows.length };
}

// --- optimizer, schedule, clipping, early stopping ---------------------------------------------
const stepsPerEpoch = Math.floor(train.n / BATCH), totalSteps = stepsPerEpoch * MAX_EPOCHS, warmup = 2 * stepsPerEpoch;
const optimizer = new AdamW(params, { lr: 1e-2, weightDecay: 1e-4 });
const schedule = new SequentialLR(optimizer, {
  schedulers: [
    new LinearLR(optimizer, { startFactor: 0.1, endFactor: 1, totalIters: warmup }),
    new CosineAnnealingLR(optimizer, { tMax: totalSteps - warmup, etaMin: 1e-4 }),
  ],
  milestones: [warmup],
});
const earlyStopping = new EarlyStopping({ patience: 5, minDelta: 1e-3, mode: 'min' });

const allValidation = Array.from({ length: validation.n }, (_, i) => i);
const order = Array.from({ length: train.n }, (_, i) => i);
const info = backendInfo();
console.log(`backend ${info.name} (${info.isa}); ${train.n} training points, ${validation.n} validation points`);
for (let epoch = 1; epoch <= MAX_EPOCHS; epoch++) {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  let trainLoss = 0;
  for (let s = 0; s < stepsPerEpoch; s++) {
    trainLoss += run(train, order.slice(s * BATCH, (s + 1) * BATCH), true).loss;
    clipGradNorm(params, 1.0); // returns the norm before clipping, if you want to log it
    optimizer.step();
    schedule.step();
  }
  const { loss, accuracy } = run(validation, allValidation, false);
  const bestBefore = earlyStopping.bestValue;
  const stop = earlyStopping.step(loss);
  const improved = earlyStopping.bestValue !== bestBefore;
  if (improved) {
    // Everything a resume needs, in one file: the Float32Arrays are stored as raw bytes. A crash
    // while saving leaves the previous best checkpoint whole, never a half-written file.
    await saveCheckpoint(checkpointFile, {
      epoch,
      weights: Object.fromEntries(params.map((q) => [q.name, q.data])),
      optimizer: optimizer.stateDict(),
      schedule: schedule.stateDict(),
    });
  }
  if (epoch % 5 === 0 || stop)
    console.log(`epoch ${String(epoch).padStart(2)}  train loss ${(trainLoss / stepsPerEpoch).toFixed(4)}  validation loss ${loss.toFixed(4)}  accuracy ${(100 * accuracy).toFixed(1)}%  lr ${schedule.getLastLr()[0].toExponential(2)}`);
  if (stop) {
    console.log(`early stop: no improvement for ${earlyStopping.patience} epochs; best epoch ${earlyStopping.bestEpoch}`);
    break;
  }
}

// --- resume: the best epoch's weights and optimizer state, back from the file -----------------
const restored = await loadCheckpoint(checkpointFile);
for (const q of params) q.data.set(restored.weights[q.name]);
optimizer.loadStateDict(restored.optimizer);
schedule.loadStateDict(restored.schedule);
const best = run(validation, allValidation, false);
console.log(`restored epoch ${restored.epoch} from ${checkpointFile}: validation loss ${best.loss.toFixed(4)}, accuracy ${(100 * best.accuracy).toFixed(1)}%`);
