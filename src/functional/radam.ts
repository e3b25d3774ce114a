import type { StreamCache } from '../backend/types';
import { type AdamLikeCallOptions, checkAdamLike, momentStreams } from './adam-like';
import { planKernelCall, type PlannedUpdate } from './planned-update';

export type RadamCallOptions = AdamLikeCallOptions;

/** RAdam over many tensors, as torch.optim.RAdam (un-adapted steps while ρ_t <= 5). */
export function planRadam(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  options: RadamCallOptions,
  cache?: StreamCache,
): PlannedUpdate {
  const { lr, weightDecay, gradScale, step, beta1, beta2, eps } = checkAdamLike(options);
  const [param, grad, expAvg, expAvgSq] = momentStreams(params, grads, ['expAvgs', expAvgs], ['expAvgSqs', expAvgSqs], cache);
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  const rhoInf = 2 / (1 - beta2) - 1;
  const rhoT = rhoInf - (2 * step * beta2 ** step) / bc2;
  const rectified = rhoT > 5;
  const rect = rectified
    ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
    : 0;
  return planKernelCall(
    'radam',
    { param, grad, expAvg, expAvgSq },
    {
      gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, oneMinusBeta1: 1 - beta1, beta2,
      oneMinusBeta2: 1 - beta2, bc1, bc2Sqrt: Math.sqrt(bc2), eps, lr, rect, rectified,
    },
    cache,
  );
}

export function radam(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  options: RadamCallOptions,
): void {
  planRadam(params, grads, expAvgs, expAvgSqs, options)();
}
