// fused-optim/tfjs inside tf.layers: model.fit gives the stock loss curve, a saved model reloads
// into the stock optimizer (and, registered, into the fused one) and continues identically; the
// PyTorch-style optimizers take schedules and the per-step options hook; the example runs.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, StepLR } from '../src';
import { fusedTrain, registerFusedOptimizers } from '../src/tfjs';
import { tf, tfLike, useTfBackend } from './tfjs-setup';

const train = fusedTrain(tfLike);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function data() {
  const xs = tf.randomUniform([256, 8], -1, 1, 'float32', 3);
  const ys = tf.oneHot(tf.argMax(tf.matMul(xs, tf.randomNormal([8, 4], 0, 1, 'float32', 4)), 1), 4);
  return { xs, ys };
}
function makeModel(optimizer: Any) {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 32, activation: 'relu', inputShape: [8], kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
      tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }),
    ],
  });
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  return model;
}
const fit = async (model: Any, xs: Any, ys: Any, epochs: number) =>
  (await model.fit(xs, ys, { epochs, batchSize: 32, shuffle: false, verbose: 0 })).history.loss as number[];
const weightsOf = (model: Any) => model.getWeights().flatMap((w: Any) => Array.from(w.dataSync() as Float32Array)) as number[];
const close = (a: number[], b: number[], tol: number) => a.every((v, i) => Math.abs(v - b[i]) <= tol * (1 + Math.abs(b[i])));

async function saveAndLoad(model: Any) {
  let artifacts: Any;
  await model.save(tf.io.withSaveHandler(async (a: Any) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), { includeOptimizer: true });
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

describe('fused-optim/tfjs with tf.layers (cpu backend)', () => {
  beforeAll(() => useTfBackend('cpu'));

  it('model.fit gives the stock loss curve; the saved model reloads into tf.train.adam and continues identically', async () => {
    const { xs, ys } = data();
    const stock = makeModel(tf.train.adam(0.01)), fused = makeModel(train.adam(0.01));
    const stockLoss = await fit(stock, xs, ys, 3), fusedLoss = await fit(fused, xs, ys, 3);
    expect(close(fusedLoss, stockLoss, 1e-5), `${fusedLoss} vs ${stockLoss}`).toBe(true);

    const reloaded = await saveAndLoad(fused);
    expect(reloaded.optimizer.getClassName()).toBe('Adam');
    expect(reloaded.optimizer.constructor).not.toBe(train.classes.Adam); // (tf.Optimizer's instanceof is duck-typed)
    expect(reloaded.optimizer.iterations).toBe(24);
    const fusedNext = await fit(fused, xs, ys, 1), reloadedNext = await fit(reloaded, xs, ys, 1);
    expect(close(reloadedNext, fusedNext, 1e-5)).toBe(true);
    expect(close(weightsOf(reloaded), weightsOf(fused), 1e-5)).toBe(true);
    [stock, fused, reloaded].forEach((m) => m.dispose());
    tf.dispose([xs, ys]);
  });

  it('registerFusedOptimizers makes loadLayersModel build the fused class, which continues like the stock one; it can be undone', async () => {
    const { xs, ys } = data();
    const stock = makeModel(tf.train.rmsprop(0.01, 0.9, 0.5));
    await fit(stock, xs, ys, 2);
    const restore = registerFusedOptimizers(tfLike);
    let reloaded: Any;
    try {
      reloaded = await saveAndLoad(stock);
    } finally {
      restore();
    }
    expect(reloaded.optimizer.constructor).toBe(train.classes.RMSProp);
    expect(reloaded.optimizer.getConfig()).toEqual(stock.optimizer.getConfig());
    const stockNext = await fit(stock, xs, ys, 1), fusedNext = await fit(reloaded, xs, ys, 1);
    expect(close(fusedNext, stockNext, 1e-5), `${fusedNext} vs ${stockNext}`).toBe(true);
    expect(close(weightsOf(reloaded), weightsOf(stock), 1e-5)).toBe(true);
    const again = await saveAndLoad(stock);
    expect(again.optimizer.constructor).not.toBe(train.classes.RMSProp);
    [stock, reloaded, again].forEach((m) => m.dispose());
    tf.dispose([xs, ys]);
  });

  it('fused optimizers are tf.Optimizer instances of the caller\'s tf, and fusedTrain(tf) makes its classes once', () => {
    expect(train.adam() instanceof tf.Optimizer).toBe(true);
    expect(fusedTrain(tfLike).classes.Adam).toBe(train.classes.Adam);
    expect(train.adamw() instanceof tf.Optimizer).toBe(true);
    expect(() => fusedTrain({} as never)).toThrow(TypeError);
  });

  it('train.adamw follows fused-optim AdamW exactly, takes an LR schedule and skips a NaN step via stepOptions', () => {
    const start = new Float32Array([0.5, -1, 2, 0.25]);
    const x = tf.variable(tf.tensor1d(start));
    const loss = () => tf.sum(tf.mul(tf.square(x), tf.tensor1d([1, 2, 3, 4])));
    const opt = train.adamw({ lr: 0.1, weightDecay: 0.01 });
    const schedule = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
    const p = { data: start.slice(), grad: new Float32Array(4) };
    const ref = new AdamW([p], { lr: 0.1, weightDecay: 0.01 });
    const refSchedule = new StepLR(ref, { stepSize: 2, gamma: 0.5 });
    for (let s = 0; s < 6; s++) {
      for (let i = 0; i < 4; i++) p.grad[i] = 2 * (i + 1) * p.data[i];
      ref.step();
      refSchedule.step();
      opt.minimize(loss, false, [x]);
      schedule.step();
    }
    expect(Array.from(x.dataSync() as Float32Array)).toEqual(Array.from(p.data));
    expect(opt.learningRate).toBe(ref.paramGroups[0].lr);

    const before = Array.from(x.dataSync() as Float32Array);
    opt.stepOptions = { skipIfNonFinite: true };
    opt.applyGradients([{ name: x.name, tensor: tf.tensor1d([1, NaN, 0, 0]) }]);
    expect(opt.lastStepApplied).toBe(false);
    expect(Array.from(x.dataSync() as Float32Array)).toEqual(before);
    let seen = 0;
    opt.stepOptions = (grads) => ((seen = grads[0][0]), { gradScale: 0.5 });
    opt.applyGradients([{ name: x.name, tensor: tf.tensor1d([4, 0, 0, 0]) }]);
    expect(seen).toBe(4);
    expect(opt.lastStepApplied).toBe(true);
    opt.dispose();
    x.dispose();
  });

  it('Lookahead around nadam round-trips its state through getWeights/setWeights', async () => {
    const x = tf.variable(tf.tensor1d([0.5, -1, 2, 0.25]));
    const loss = () => tf.sum(tf.square(x));
    const a = train.nadam({ lr: 0.05, lookahead: { k: 2, alpha: 0.5 } });
    for (let s = 0; s < 3; s++) a.minimize(loss, false, [x]);
    const weights = await a.getWeights();
    expect(weights.map((w) => w.name)).toEqual(expect.arrayContaining([`${x.name}/expAvg`, `${x.name}/slow`, 'lookahead/#stepCount']));
    const b = train.nadam({ lr: 0.05, lookahead: { k: 2, alpha: 0.5 } });
    await b.setWeights(weights);
    const saved = Array.from(x.dataSync() as Float32Array);
    for (let s = 0; s < 3; s++) a.minimize(loss, false, [x]);
    const expected = Array.from(x.dataSync() as Float32Array);
    x.assign(tf.tensor1d(saved));
    for (let s = 0; s < 3; s++) b.minimize(loss, false, [x]);
    expect(Array.from(x.dataSync() as Float32Array)).toEqual(expected);
    a.dispose();
    b.dispose();
    x.dispose();
  });

  it('examples/tfjs-model.mjs runs and its fused loss curve is the stock one', () => {
    const out = execFileSync(process.execPath, [join(root, 'examples', 'tfjs-model.mjs')], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const rows = out.split('\n').filter((l) => /^\d+\s+[\d.]+\s+[\d.]+$/.test(l.trim()));
    expect(rows.length).toBe(5);
    for (const r of rows) {
      const [, a, b] = r.trim().split(/\s+/);
      expect(b).toBe(a);
    }
    expect(out).toMatch(/adamw epoch 5: loss/);
  });
});
