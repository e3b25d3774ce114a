import { Decay } from '../backend/types';
import { type AdamLikeCallOptions, checkAdamLike, momentStreams } from './adam-like';
import { plan, type Run } from './plan';
import type { StreamCache } from '../backend/types';
import { checkBoolean } from './validate';

export interface AdamCallOptions extends AdamLikeCallOptions {
  /** Use the maximum of past second moments (needs maxExpAvgSqs). */
  amsgrad: boolean;
}

/**
 * Validates everything and computes the per-step scalars in double; returns the update, not
 * yet run. Optimizers plan every group before running any, so a rejected step changes nothing.
 */
export function planAdam(
  decoupled: boolean,
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  maxExpAvgSqs: Float32Array[] | null,
  options: AdamCallOptions,
  cache?: StreamCache,
): Run {
  const { lr, weightDecay, gradScale, step, beta1, beta2, eps } = checkAdamLike(options);
  const amsgrad = checkBoolean('amsgrad', options.amsgrad);
  const [param, grad, expAvg, expAvgSq, maxExpAvgSq] = momentStreams(
    params, grads, ['expAvgs', expAvgs], ['expAvgSqs', expAvgSqs], cache,
    amsgrad ? { name: 'maxExpAvgSqs', list: maxExpAvgSqs } : null,
  );
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2 = 1 - beta2 ** step;
  return plan(
    'adam',
    { param, grad, expAvg, expAvgSq, maxExpAvgSq: amsgrad ? maxExpAvgSq : null },
    {
      gradScale,
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
    },
    cache,
  );
}

/** One Adam update (L2 weight decay) over many tensors, as torch.optim.Adam. */
export function adam(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  maxExpAvgSqs: Float32Array[] | null,
  options: AdamCallOptions,
): void {
  planAdam(false, params, grads, expAvgs, expAvgSqs, maxExpAvgSqs, options)();
}

/** One AdamW update (decoupled weight decay) over many tensors, as torch.optim.AdamW. */
export function adamw(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  maxExpAvgSqs: Float32Array[] | null,
  options: AdamCallOptions,
): void {
  planAdam(true, params, grads, expAvgs, expAvgSqs, maxExpAvgSqs, options)();
}
