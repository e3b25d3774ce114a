import { checkBeta, checkOptions, checkStep, checkStreams, type CommonOptions, commonScalars, plan, type Run } from './plan';
import type { StreamCache } from '../backend/types';
import { checkNumber } from './validate';

export interface LambOptions extends CommonOptions {
  step: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/**
 * LAMB (You et al. 2019, Algorithm 2) over many tensors: bias-corrected Adam direction plus
 * decoupled weight decay, scaled per tensor by the trust ratio ||p|| / ||u|| (1 where either is 0).
 */
export function planLamb(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  options: LambOptions,
  cache?: StreamCache,
): Run {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  const step = checkStep(options.step);
  const beta1 = checkBeta('beta1', options.beta1);
  const beta2 = checkBeta('beta2', options.beta2);
  // eps > 0: a zero denominator would make the update, and so every trust ratio, NaN.
  const eps = checkNumber('eps', options.eps, { min: 0, minExclusive: true });
  const [param, grad, expAvg, expAvgSq] = checkStreams([
    { name: 'params', list: params, written: true },
    { name: 'grads', list: grads, written: false },
    { name: 'expAvgs', list: expAvgs, written: true },
    { name: 'expAvgSqs', list: expAvgSqs, written: true },
  ], cache);
  return plan(
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
  options: LambOptions,
): void {
  planLamb(params, grads, expAvgs, expAvgSqs, options)();
}
