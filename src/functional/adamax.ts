import { checkBeta, checkOptions, checkStep, checkStreams, type CommonOptions, commonScalars, plan, type Run } from './plan';
import type { StreamCache } from '../backend/types';
import { checkNumber } from './validate';

export interface AdamaxOptions extends CommonOptions {
  step: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** Adamax over many tensors, as torch.optim.Adamax. */
export function planAdamax(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expInfs: Float32Array[],
  options: AdamaxOptions,
  cache?: StreamCache,
): Run {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  const step = checkStep(options.step);
  const beta1 = checkBeta('beta1', options.beta1);
  const beta2 = checkBeta('beta2', options.beta2);
  const eps = checkNumber('eps', options.eps, { min: 0 });
  const [param, grad, expAvg, expInf] = checkStreams([
    { name: 'params', list: params, written: true },
    { name: 'grads', list: grads, written: false },
    { name: 'expAvgs', list: expAvgs, written: true },
    { name: 'expInfs', list: expInfs, written: true },
  ], cache);
  return plan(
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
  options: AdamaxOptions,
): void {
  planAdamax(params, grads, expAvgs, expInfs, options)();
}
