// What the kernel tests share: a case (a kind, its scalars, how to fill each stream) and the
// random float32 streams made from it, copied or moved to odd byte offsets.
import { getBackend } from '../src/backend';
import type { KernelScalars, Kind } from '../src/backend/types';
import { bf16Bits, quantize, UNSIGNED_STATE } from '../src/backend/state-format';
import { randomArray, rng, viewAt } from './helpers';

export type Init = 'signed' | 'positive' | 'small';
export interface Case {
  name: string;
  kind: Kind;
  scalars: Record<string, number | boolean>;
  streams: Record<string, Init | null>;
}

export const common = { gradScale: -0.75, weightDecay: 0.02, hasWeightDecay: true };
export const adamLike = { param: 'signed', grad: 'signed', expAvg: 'small', expAvgSq: 'positive' } as const;
export type Streams = Record<string, Float32Array[] | null>;

export function makeStreams(c: Case, lengths: number[], seed: number): Streams {
  const r = rng(seed);
  const out: Streams = {};
  for (const [name, init] of Object.entries(c.streams)) {
    out[name] =
      init === null
        ? null
        : lengths.map((n) => {
            const a = randomArray(n, r, init === 'small' ? 0.01 : 1);
            if (init === 'positive') for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]) + 1e-3;
            return a;
          });
  }
  return out;
}

export function copyStreams(s: Streams, offset = 0): Streams {
  const out: Streams = {};
  for (const [name, list] of Object.entries(s))
    out[name] = list && list.map((a, i) => (offset ? viewAt(a, offset + 2 * i) : a.slice()));
  return out;
}

/** Runs the case's kernel on the current backend over these streams. */
export function runCase(c: Case, streams: Streams): void {
  getBackend().step(c.kind, streams as never, c.scalars as unknown as KernelScalars[Kind]);
}

/** Every kernel kind with its flags in several settings (kernels.test.ts). */
export const KERNEL_CASES: Case[] = [
  {
    name: 'adam amsgrad l2', kind: 'adam',
    scalars: { gradScale: 1, l2: 0.1, paramDecay: 1, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, stepSize: 0.05, bc2Sqrt: 0.3, eps: 1e-8, decay: 1, amsgrad: true },
    streams: { ...adamLike, maxExpAvgSq: 'positive' },
  },
  { name: 'sgd plain', kind: 'sgd', scalars: { gradScale: 1, weightDecay: 0, hasWeightDecay: false, momentum: 0, oneMinusDampening: 1, lr: 0.1, hasMomentum: false, nesterov: false, firstStep: false }, streams: { param: 'signed', grad: 'signed', momentumBuffer: null } },
  { name: 'sgd momentum first step', kind: 'sgd', scalars: { ...common, momentum: 0.9, oneMinusDampening: 0.5, lr: 0.1, hasMomentum: true, nesterov: false, firstStep: true }, streams: { param: 'signed', grad: 'signed', momentumBuffer: 'signed' } },
  { name: 'sgd momentum dampening', kind: 'sgd', scalars: { ...common, momentum: 0.9, oneMinusDampening: 0.5, lr: 0.1, hasMomentum: true, nesterov: false, firstStep: false }, streams: { param: 'signed', grad: 'signed', momentumBuffer: 'signed' } },
  { name: 'sgd nesterov', kind: 'sgd', scalars: { ...common, momentum: 0.9, oneMinusDampening: 1, lr: 0.1, hasMomentum: true, nesterov: true, firstStep: false }, streams: { param: 'signed', grad: 'signed', momentumBuffer: 'signed' } },
  { name: 'adagrad', kind: 'adagrad', scalars: { ...common, clr: 0.05, eps: 1e-10 }, streams: { param: 'signed', grad: 'signed', sum: 'positive' } },
  { name: 'rmsprop plain', kind: 'rmsprop', scalars: { ...common, hasWeightDecay: false, alpha: 0.99, oneMinusAlpha: 0.01, eps: 1e-8, lr: 0.01, momentum: 0, hasMomentum: false, centered: false }, streams: { param: 'signed', grad: 'signed', squareAvg: 'positive', gradAvg: null, momentumBuffer: null } },
  { name: 'rmsprop centered momentum', kind: 'rmsprop', scalars: { ...common, alpha: 0.9, oneMinusAlpha: 0.1, eps: 1e-8, lr: 0.01, momentum: 0.9, hasMomentum: true, centered: true }, streams: { param: 'signed', grad: 'signed', squareAvg: 'positive', gradAvg: 'small', momentumBuffer: 'signed' } },
  { name: 'rmsprop momentum', kind: 'rmsprop', scalars: { ...common, alpha: 0.9, oneMinusAlpha: 0.1, eps: 1e-8, lr: 0.01, momentum: 0.5, hasMomentum: true, centered: false }, streams: { param: 'signed', grad: 'signed', squareAvg: 'positive', gradAvg: null, momentumBuffer: 'signed' } },
  { name: 'adadelta', kind: 'adadelta', scalars: { ...common, rho: 0.9, oneMinusRho: 0.1, eps: 1e-6, lr: 1 }, streams: { param: 'signed', grad: 'signed', squareAvg: 'positive', accDelta: 'positive' } },
  { name: 'adamax', kind: 'adamax', scalars: { ...common, oneMinusBeta1: 0.1, beta2: 0.999, eps: 1e-8, clr: 0.02 }, streams: { param: 'signed', grad: 'signed', expAvg: 'small', expInf: 'positive' } },
  { name: 'nadam', kind: 'nadam', scalars: { ...common, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, bc2: 0.002, eps: 1e-8, gradStep: 0.01, avgStep: 0.02 }, streams: adamLike },
  { name: 'radam unrectified', kind: 'radam', scalars: { ...common, hasWeightDecay: false, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, bc1: 0.19, bc2Sqrt: 0.04, eps: 1e-8, lr: 0.01, rect: 0, rectified: false }, streams: adamLike },
  { name: 'radam rectified', kind: 'radam', scalars: { ...common, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, bc1: 0.5, bc2Sqrt: 0.1, eps: 1e-8, lr: 0.01, rect: 0.3, rectified: true }, streams: adamLike },
  { name: 'lion', kind: 'lion', scalars: { gradScale: 1, paramDecay: 0.999, lr: 1e-3, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.99, oneMinusBeta2: 0.01 }, streams: { param: 'signed', grad: 'signed', expAvg: 'small' } },
  { name: 'lamb', kind: 'lamb', scalars: { ...common, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, bc1: 0.1, bc2: 0.001, eps: 1e-6, lr: 0.01 }, streams: adamLike },
  { name: 'lookahead', kind: 'lookahead', scalars: { alpha: 0.5 }, streams: { slow: 'signed', fast: 'signed' } },
  { name: 'scale', kind: 'scale', scalars: { factor: 0.3 }, streams: { x: 'signed' } },
  { name: 'accumulate', kind: 'accumulate', scalars: { scale: 0.25 }, streams: { dst: 'signed', src: 'signed' } },
  { name: 'clamp', kind: 'clamp', scalars: { clipValue: 0.5 }, streams: { x: 'signed' } },
];

/** The TF.js-formula kinds (tfjs-kernels.test.ts). */
export const TF_CASES: Case[] = [
  {
    name: 'tf adam', kind: 'tf_adam',
    scalars: { gradScale: -0.75, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, oneMinusAccBeta1: 0.271, oneMinusAccBeta2: 0.003, eps: 1e-7, lr: 0.01 },
    streams: { param: 'signed', grad: 'signed', m: 'small', v: 'positive' },
  },
  { name: 'tf adagrad', kind: 'tf_adagrad', scalars: { gradScale: 1, eps: 1e-7, lr: 0.1 }, streams: { param: 'signed', grad: 'signed', accumulator: 'positive' } },
  {
    name: 'tf adadelta', kind: 'tf_adadelta', scalars: { gradScale: 0.5, rho: 0.95, oneMinusRho: 0.05, eps: 1e-7, lr: 1 },
    streams: { param: 'signed', grad: 'signed', accumGrad: 'positive', accumUpdate: 'positive' },
  },
  {
    name: 'tf adamax', kind: 'tf_adamax', scalars: { gradScale: 1, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, eps: 1e-7, stepSize: 0.0123 },
    streams: { param: 'signed', grad: 'signed', m: 'small', u: 'positive' },
  },
  {
    name: 'tf rmsprop', kind: 'tf_rmsprop', scalars: { gradScale: 1, alpha: 0.9, oneMinusAlpha: 0.1, momentum: 0, eps: 1e-7, lr: 0.01, centered: false },
    streams: { param: 'signed', grad: 'signed', ms: 'positive', mom: 'small', mg: null },
  },
  {
    name: 'tf rmsprop centered momentum', kind: 'tf_rmsprop',
    scalars: { gradScale: -1.5, alpha: 0.9, oneMinusAlpha: 0.1, momentum: 0.9, eps: 1e-7, lr: 0.01, centered: true },
    streams: { param: 'signed', grad: 'signed', ms: 'positive', mom: 'small', mg: 'small' },
  },
];

const adamScalars = { gradScale: 1, l2: 0, paramDecay: 0.999, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, stepSize: 0.05, bc2Sqrt: 0.3, eps: 1e-8, decay: 2, amsgrad: false };
/** Kinds with stored state (stateDtype), as lowmem-kernels.test.ts runs them. */
export const STORED_CASES: Case[] = [
  { name: 'adamw', kind: 'adam', scalars: adamScalars, streams: { ...adamLike, maxExpAvgSq: null } },
  { name: 'adam amsgrad l2', kind: 'adam', scalars: { ...adamScalars, l2: 0.1, paramDecay: 1, decay: 1, amsgrad: true }, streams: { ...adamLike, maxExpAvgSq: 'positive' } },
  { name: 'sgd momentum', kind: 'sgd', scalars: { ...common, momentum: 0.9, oneMinusDampening: 0.5, lr: 0.1, hasMomentum: true, nesterov: false, firstStep: false }, streams: { param: 'signed', grad: 'signed', momentumBuffer: 'signed' } },
  { name: 'sgd nesterov first step', kind: 'sgd', scalars: { ...common, momentum: 0.9, oneMinusDampening: 1, lr: 0.1, hasMomentum: true, nesterov: true, firstStep: true }, streams: { param: 'signed', grad: 'signed', momentumBuffer: 'signed' } },
  { name: 'adagrad', kind: 'adagrad', scalars: { ...common, clr: 0.05, eps: 1e-10 }, streams: { param: 'signed', grad: 'signed', sum: 'positive' } },
  { name: 'rmsprop', kind: 'rmsprop', scalars: { ...common, alpha: 0.99, oneMinusAlpha: 0.01, eps: 1e-8, lr: 0.01, momentum: 0, hasMomentum: false, centered: false }, streams: { param: 'signed', grad: 'signed', squareAvg: 'positive', gradAvg: null, momentumBuffer: null } },
  { name: 'rmsprop centered momentum', kind: 'rmsprop', scalars: { ...common, alpha: 0.9, oneMinusAlpha: 0.1, eps: 1e-8, lr: 0.01, momentum: 0.9, hasMomentum: true, centered: true }, streams: { param: 'signed', grad: 'signed', squareAvg: 'positive', gradAvg: 'small', momentumBuffer: 'signed' } },
  { name: 'adadelta', kind: 'adadelta', scalars: { ...common, rho: 0.9, oneMinusRho: 0.1, eps: 1e-6, lr: 1 }, streams: { param: 'signed', grad: 'signed', squareAvg: 'positive', accDelta: 'positive' } },
  { name: 'adamax', kind: 'adamax', scalars: { ...common, oneMinusBeta1: 0.1, beta2: 0.999, eps: 1e-8, clr: 0.02 }, streams: { param: 'signed', grad: 'signed', expAvg: 'small', expInf: 'positive' } },
  { name: 'nadam', kind: 'nadam', scalars: { ...common, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, bc2: 0.002, eps: 1e-8, gradStep: 0.01, avgStep: 0.02 }, streams: adamLike },
  { name: 'radam', kind: 'radam', scalars: { ...common, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, bc1: 0.5, bc2Sqrt: 0.1, eps: 1e-8, lr: 0.01, rect: 0.3, rectified: true }, streams: adamLike },
  { name: 'lion', kind: 'lion', scalars: { gradScale: 1, paramDecay: 0.999, lr: 1e-3, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.99, oneMinusBeta2: 0.01 }, streams: { param: 'signed', grad: 'signed', expAvg: 'small' } },
  // TensorFlow.js's formulas (fused-optim/tfjs): v, u, accumulator, ms, accumGrad and accumUpdate take the unsigned map.
  { name: 'tf adam', kind: 'tf_adam', scalars: { gradScale: -0.75, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, oneMinusAccBeta1: 0.271, oneMinusAccBeta2: 0.003, eps: 1e-7, lr: 0.01 }, streams: { param: 'signed', grad: 'signed', m: 'small', v: 'positive' } },
  { name: 'tf adagrad', kind: 'tf_adagrad', scalars: { gradScale: 1, eps: 1e-7, lr: 0.1 }, streams: { param: 'signed', grad: 'signed', accumulator: 'positive' } },
  { name: 'tf adadelta', kind: 'tf_adadelta', scalars: { gradScale: 0.5, rho: 0.95, oneMinusRho: 0.05, eps: 1e-7, lr: 1 }, streams: { param: 'signed', grad: 'signed', accumGrad: 'positive', accumUpdate: 'positive' } },
  { name: 'tf adamax', kind: 'tf_adamax', scalars: { gradScale: 1, beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, eps: 1e-7, stepSize: 0.0123 }, streams: { param: 'signed', grad: 'signed', m: 'small', u: 'positive' } },
  { name: 'tf rmsprop centered momentum', kind: 'tf_rmsprop', scalars: { gradScale: -1.5, alpha: 0.9, oneMinusAlpha: 0.1, momentum: 0.9, eps: 1e-7, lr: 0.01, centered: true }, streams: { param: 'signed', grad: 'signed', ms: 'positive', mom: 'small', mg: 'small' } },
];

export type Dtype = 'bfloat16' | 'int8';
export type AnyArray = Float32Array | Uint16Array | Uint8Array;
/** A streams object with stored state: its fields stateFormat and blockSize, its lists of any array type. */
export type StoredStreams = Record<string, AnyArray[] | null | number>;

/** makeStreams with the state streams stored as bfloat16 words or int8 codes (and their absmax lists). */
export function makeStoredStreams(c: Case, lengths: number[], seed: number, dtype: Dtype, blockSize: number): StoredStreams {
  const r = rng(seed);
  const out: StoredStreams = { stateFormat: dtype === 'int8' ? 2 : 1 };
  if (dtype === 'int8') out.blockSize = blockSize;
  for (const [name, init] of Object.entries(c.streams)) {
    const isState = name !== 'param' && name !== 'grad';
    if (init === null) {
      out[name] = null;
      continue;
    }
    const values = lengths.map((n) => {
      const a = randomArray(n, r, init === 'small' ? 0.01 : 1);
      if (init === 'positive') for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]) + 1e-3;
      return a;
    });
    if (!isState) out[name] = values;
    else if (dtype === 'bfloat16') out[name] = values.map((a) => Uint16Array.from(a, bf16Bits));
    else {
      const q = values.map((a) => quantize(a, !UNSIGNED_STATE.has(name), blockSize));
      out[name] = q.map((x) => x.codes);
      out[`${name}Absmax`] = q.map((x) => x.absmax);
    }
  }
  return out;
}

/** A copy; with `offset`, every array is a view at an odd element offset into a larger buffer. */
export function copyStoredStreams(s: StoredStreams, offset = 0): StoredStreams {
  const out: StoredStreams = {};
  for (const [name, list] of Object.entries(s)) {
    if (list === null || typeof list === 'number') {
      out[name] = list;
      continue;
    }
    out[name] = list.map((a, i) => {
      if (!offset) return a.slice();
      const at = offset + 2 * i;
      const backing = new (a.constructor as Float32ArrayConstructor)(a.length + at + 3);
      const view = backing.subarray(at, at + a.length);
      view.set(a as Float32Array);
      return view;
    });
  }
  return out;
}

