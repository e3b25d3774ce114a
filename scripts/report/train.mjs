// One training run of the MLP on MNIST with one optimizer recipe: mini-batches in a seeded order,
// the loss of every step, validation loss and accuracy at a few points, and where the time went.
import { clipGradNorm } from 'fused-optim';
import { PIXELS } from './mnist.mjs';
import { Mlp } from './mlp.mjs';
import { mulberry32, shuffleInPlace } from './random.mjs';

/**
 * @param {{ train, validation }} data from loadMnist
 * @param {{ make: Function }} recipe from RECIPES
 * @param {{ sizes: number[], epochs: number, batch: number, seed: number, evaluations: number,
 *           onStep?: (step: number, total: number) => void }} options
 * @returns {{ steps, trainLoss: number[], curve: {step, epoch, trainLoss, validationLoss, validationAccuracy}[],
 *             finalTrainLoss, validationAccuracy, validationLoss, msPerStep, optimizerMsPerStep, seconds, parameters }}
 */
export function trainRun(data, recipe, { sizes, epochs, batch, seed, evaluations, onStep = () => {} }) {
  const { train, validation } = data;
  const model = new Mlp(sizes, { seed, maxBatch: Math.max(batch, 256) });
  const params = model.parameters();
  const stepsPerEpoch = Math.floor(train.n / batch);
  const total = stepsPerEpoch * epochs;
  const { optimizer, schedule, clip } = recipe.make(params, total);
  const order = Array.from({ length: train.n }, (_, i) => i);
  const random = mulberry32(seed + 1);
  const x = new Float32Array(batch * PIXELS), labels = new Uint8Array(batch);
  const evaluateAt = new Set(Array.from({ length: evaluations }, (_, k) => Math.round(((k + 1) * total) / evaluations)));
  const trainLoss = [], curve = [];
  let optimizerNs = 0n, step = 0, sinceEval = [];
  const started = process.hrtime.bigint();
  let evalNs = 0n;
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffleInPlace(order, random);
    for (let s = 0; s < stepsPerEpoch; s++) {
      for (let b = 0; b < batch; b++) {
        const row = order[s * batch + b];
        x.set(train.x.subarray(row * PIXELS, (row + 1) * PIXELS), b * PIXELS);
        labels[b] = train.labels[row];
      }
      const loss = model.lossAndGrad(x, labels, batch);
      const t = process.hrtime.bigint();
      if (clip !== undefined) clipGradNorm(params, clip);
      optimizer.step();
      schedule?.step();
      optimizerNs += process.hrtime.bigint() - t;
      step++;
      trainLoss.push(loss);
      sinceEval.push(loss);
      if (evaluateAt.has(step)) {
        const e = process.hrtime.bigint();
        const { loss: validationLoss, accuracy } = model.evaluate(validation);
        evalNs += process.hrtime.bigint() - e;
        curve.push({
          step,
          epoch: +(step / stepsPerEpoch).toFixed(3),
          trainLoss: sinceEval.reduce((a, b) => a + b, 0) / sinceEval.length,
          validationLoss,
          validationAccuracy: accuracy,
        });
        sinceEval = [];
      }
      onStep(step, total);
    }
  }
  const trainingNs = process.hrtime.bigint() - started - evalNs;
  const last = curve[curve.length - 1];
  const tail = trainLoss.slice(-stepsPerEpoch);
  return {
    steps: total,
    parameters: model.parameterCount(),
    trainLoss,
    curve,
    // Mean over the last epoch's steps: one batch's loss is too noisy to rank optimizers by.
    finalTrainLoss: tail.reduce((a, b) => a + b, 0) / tail.length,
    validationLoss: last.validationLoss,
    validationAccuracy: last.validationAccuracy,
    msPerStep: Number(trainingNs) / 1e6 / total,
    optimizerMsPerStep: Number(optimizerNs) / 1e6 / total,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
