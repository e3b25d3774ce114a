import type { StreamCache } from '../backend/types';
import { type AdamLikeCallOptions, checkAdamLike, momentStreams } from './adam-like';
import { planKernelCall, type PlannedUpdate } from './planned-update';

export type LambCallOptions = AdamLikeCallOptions;

/**
 * LAMB (You et al. 2019, Algorithm 2) over many tensors: bias-corrected Adam direction plus
 * decoupled weight decay, scaled per tensor by the trust ratio ||p|| / ||u|| (1 where either is 0).
 */
export function planLamb(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  options: LambCallOptions,
  cache?: StreamCache,
): PlannedUpdate {
  // eps > 0: a zero denominator would make the update, and so every trust ratio, NaN.
  const { lr, weightDecay, gradScale, step, beta1, beta2, eps } = checkAdamLike(options, { min: 0, minExclusive: true });
  const [param, grad, expAvg, expAvgSq] = momentStreams(params, grads, ['expAvgs', expAvgs], ['expAvgSqs', expAvgSqs], cache);
  return planKernelCall(
    'lamb',
    { param, grad, expAvg, expAvgSq },
    {
      gradScale, oneMinusBeta1: 1 - beta1, beta2, oneMinusBeta2: 1 - beta2, bc1: 1 - beta1 ** step,
      bc2: 1 - beta2 ** step, eps, weightDecay, hasWeightDecay: weightDecay !== 0, lr,
    },
    cache,
  );
}

export function lamb(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  options: LambCallOptions,
): void {
  planLamb(params, grads, expAvgs, expAvgSqs, options)();
}
