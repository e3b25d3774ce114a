import type { StreamCache } from '../backend/types';
import { type AdamLikeCallOptions, checkAdamLike, momentStreams } from './adam-like';
import { planKernelCall, type PlannedUpdate } from './planned-update';

export type AdamaxCallOptions = AdamLikeCallOptions;

/** Adamax over many tensors, as torch.optim.Adamax. */
export function planAdamax(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expInfs: Float32Array[],
  options: AdamaxCallOptions,
  cache?: StreamCache,
): PlannedUpdate {
  const { lr, weightDecay, gradScale, step, beta1, beta2, eps } = checkAdamLike(options);
  const [param, grad, expAvg, expInf] = momentStreams(params, grads, ['expAvgs', expAvgs], ['expInfs', expInfs], cache);
  return planKernelCall(
    'adamax',
    { param, grad, expAvg, expInf },
    {
      gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, oneMinusBeta1: 1 - beta1, beta2, eps,
      clr: lr / (1 - beta1 ** step),
    },
    cache,
  );
}

export function adamax(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expInfs: Float32Array[],
  options: AdamaxCallOptions,
): void {
  planAdamax(params, grads, expAvgs, expInfs, options)();
}
