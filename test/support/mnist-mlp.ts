// A small MLP on real MNIST digits (the `mnist` package's 10,000), in plain Float32Array loops:
// 784 → 128 (ReLU) → 10 (softmax cross-entropy), 101,770 parameters. Used to compare optimizer
// state formats on a real task with everything else (data order, initialization) fixed.
import { createRequire } from 'node:module';
import type { Parameter } from '../../src';
import { rng } from '../helpers';

const PIXELS = 784, HIDDEN = 128, CLASSES = 10;

export interface Sample {
  /** Indices and values of the nonzero pixels (most are zero: the loops skip them). */
  at: Int32Array;
  value: Float32Array;
  label: number;
}

/** Every digit of the package, interleaved by class; every 5th of each class is held out for validation. */
export function loadMnist(): { train: Sample[]; validation: Sample[] } {
  const require = createRequire(import.meta.url);
  const raw = Array.from({ length: 10 }, (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
  const train: Sample[] = [], validation: Sample[] = [];
  const counts = raw.map((r) => Math.floor(r.length / PIXELS));
  for (let i = 0; i < Math.max(...counts); i++)
    for (let d = 0; d < 10; d++) {
      if (i >= counts[d]) continue;
      const pixels = raw[d].slice(i * PIXELS, (i + 1) * PIXELS);
      const at = pixels.flatMap((v, k) => (v > 0 ? [k] : []));
      (i % 5 === 4 ? validation : train).push({ at: Int32Array.from(at), value: Float32Array.from(at, (k) => pixels[k]), label: d });
    }
  return { train, validation };
}

export interface Mlp {
  params: Parameter[];
  /** Mean loss of a batch; writes the gradients into each parameter's grad. */
  lossAndGrad(batch: Sample[]): number;
  evaluate(samples: Sample[]): { loss: number; accuracy: number };
}

export function makeMlp(seed: number): Mlp {
  const r = rng(seed);
  const uniform = (n: number, bound: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * bound);
  const w1: Parameter = { data: uniform(HIDDEN * PIXELS, 1 / Math.sqrt(PIXELS)), grad: new Float32Array(HIDDEN * PIXELS), name: 'w1' };
  const b1: Parameter = { data: new Float32Array(HIDDEN), grad: new Float32Array(HIDDEN), name: 'b1' };
  const w2: Parameter = { data: uniform(CLASSES * HIDDEN, 1 / Math.sqrt(HIDDEN)), grad: new Float32Array(CLASSES * HIDDEN), name: 'w2' };
  const b2: Parameter = { data: new Float32Array(CLASSES), grad: new Float32Array(CLASSES), name: 'b2' };
  const h = new Float64Array(HIDDEN), z = new Float64Array(CLASSES), dz = new Float64Array(CLASSES), dh = new Float64Array(HIDDEN);

  /** Forward pass of one sample; returns its loss, leaves h and the softmax in z. */
  const forward = (s: Sample): number => {
    for (let j = 0; j < HIDDEN; j++) {
      let acc = b1.data[j];
      const row = j * PIXELS;
      for (let k = 0; k < s.at.length; k++) acc += w1.data[row + s.at[k]] * s.value[k];
      h[j] = acc > 0 ? acc : 0;
    }
    let max = -Infinity;
    for (let c = 0; c < CLASSES; c++) {
      let acc = b2.data[c];
      for (let j = 0; j < HIDDEN; j++) acc += w2.data[c * HIDDEN + j] * h[j];
      z[c] = acc;
      if (acc > max) max = acc;
    }
    let sum = 0;
    for (let c = 0; c < CLASSES; c++) sum += (z[c] = Math.exp(z[c] - max));
    for (let c = 0; c < CLASSES; c++) z[c] /= sum;
    return -Math.log(Math.max(z[s.label], 1e-30));
  };

  return {
    params: [w1, b1, w2, b2],
    lossAndGrad(batch) {
      for (const p of [w1, b1, w2, b2]) (p.grad as Float32Array).fill(0);
      const gw1 = w1.grad as Float32Array, gb1 = b1.grad as Float32Array, gw2 = w2.grad as Float32Array, gb2 = b2.grad as Float32Array;
      let loss = 0;
      for (const s of batch) {
        loss += forward(s);
        for (let c = 0; c < CLASSES; c++) dz[c] = (z[c] - (c === s.label ? 1 : 0)) / batch.length;
        dh.fill(0);
        for (let c = 0; c < CLASSES; c++) {
          gb2[c] += dz[c];
          for (let j = 0; j < HIDDEN; j++) {
            gw2[c * HIDDEN + j] += dz[c] * h[j];
            dh[j] += dz[c] * w2.data[c * HIDDEN + j];
          }
        }
        for (let j = 0; j < HIDDEN; j++) {
          if (h[j] <= 0) continue;
          gb1[j] += dh[j];
          const row = j * PIXELS;
          for (let k = 0; k < s.at.length; k++) gw1[row + s.at[k]] += dh[j] * s.value[k];
        }
      }
      return loss / batch.length;
    },
    evaluate(samples) {
      let loss = 0, correct = 0;
      for (const s of samples) {
        loss += forward(s);
        let best = 0;
        for (let c = 1; c < CLASSES; c++) if (z[c] > z[best]) best = c;
        if (best === s.label) correct++;
      }
      return { loss: loss / samples.length, accuracy: (100 * correct) / samples.length };
    },
  };
}
