import { getBackend } from '../backend';
import { type AdamScalars, Decay } from '../backend/types';
import { checkBoolean, checkNoOverlap, checkNumber, checkTensorList } from './validate';

export interface AdamOptions {
  /** 1-based number of this update (bias corrections use it). */
  step: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
  /** Multiplies every gradient inside the update (e.g. a clipping coefficient); 1 by default. */
  gradScale?: number;
}

/**
 * Validates everything and computes the per-step scalars; returns the update, not yet run.
 * Optimizers plan every group before running any, so a rejected step changes nothing.
 */
export function planAdam(
  decoupled: boolean,
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  maxExpAvgSqs: Float32Array[] | null,
  options: AdamOptions,
): () => void {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const step = checkNumber('step', options.step, { min: 1, integer: true });
  const lr = checkNumber('lr', options.lr, { min: 0 });
  const beta1 = checkNumber('beta1', options.beta1, { min: 0, max: 1, maxExclusive: true });
  const beta2 = checkNumber('beta2', options.beta2, { min: 0, max: 1, maxExclusive: true });
  const eps = checkNumber('eps', options.eps, { min: 0 });
  const weightDecay = checkNumber('weightDecay', options.weightDecay, { min: 0 });
  const amsgrad = checkBoolean('amsgrad', options.amsgrad);
  const maximize = checkBoolean('maximize', options.maximize);
  const gradScale = options.gradScale === undefined ? 1 : checkNumber('gradScale', options.gradScale);

  const p = checkTensorList('params', params);
  const like = { name: 'params', list: p };
  const g = checkTensorList('grads', grads, like);
  const m = checkTensorList('expAvgs', expAvgs, like);
  const v = checkTensorList('expAvgSqs', expAvgSqs, like);
  const vmax = amsgrad ? checkTensorList('maxExpAvgSqs', maxExpAvgSqs, like) : null;
  checkNoOverlap([
    { name: 'params', list: p, writable: true },
    { name: 'grads', list: g, writable: false },
    { name: 'expAvgs', list: m, writable: true },
    { name: 'expAvgSqs', list: v, writable: true },
    ...(vmax ? [{ name: 'maxExpAvgSqs', list: vmax, writable: true }] : []),
  ]);

  // Bias corrections and step sizes, once per step in double, as torch computes them.
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2 = 1 - beta2 ** step;
  const scalars: AdamScalars = {
    gradScale: maximize ? -gradScale : gradScale,
    l2: decoupled ? 0 : weightDecay,
    paramDecay: decoupled ? 1 - lr * weightDecay : 1,
    oneMinusBeta1: 1 - beta1,
    beta2,
    oneMinusBeta2: 1 - beta2,
    stepSize: lr / biasCorrection1,
    bc2Sqrt: Math.sqrt(biasCorrection2),
    eps,
    decay: weightDecay === 0 ? Decay.None : decoupled ? Decay.Decoupled : Decay.L2,
    amsgrad,
  };
  const tensors = { params: p, grads: g, expAvgs: m, expAvgSqs: v, maxExpAvgSqs: vmax };
  return () => getBackend().adam(tensors, scalars);
}

/** One Adam update (L2 weight decay) over many tensors: torch.optim._functional.adam. */
export function adam(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  maxExpAvgSqs: Float32Array[] | null,
  options: AdamOptions,
): void {
  planAdam(false, params, grads, expAvgs, expAvgSqs, maxExpAvgSqs, options)();
}

/** One AdamW update (decoupled weight decay) over many tensors. */
export function adamw(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  maxExpAvgSqs: Float32Array[] | null,
  options: AdamOptions,
): void {
  planAdam(true, params, grads, expAvgs, expAvgSqs, maxExpAvgSqs, options)();
}
