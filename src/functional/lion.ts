import { checkBeta, checkOptions, checkStreams, type CommonOptions, commonScalars, plan, type Run } from './plan';
import type { StreamCache } from '../backend/types';

export interface LionCallOptions extends CommonOptions {
  /** Interpolation between momentum and gradient for the update. */
  beta1: number;
  /** Decay of the momentum. */
  beta2: number;
}

/** Lion (Chen et al. 2023, Algorithm 1) over many tensors: sign of the interpolated momentum, decoupled decay. */
export function planLion(params: Float32Array[], grads: Float32Array[], expAvgs: Float32Array[], options: LionCallOptions, cache?: StreamCache): Run {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  const beta1 = checkBeta('beta1', options.beta1);
  const beta2 = checkBeta('beta2', options.beta2);
  const [param, grad, expAvg] = checkStreams([
    { name: 'params', list: params, written: true },
    { name: 'grads', list: grads, written: false },
    { name: 'expAvgs', list: expAvgs, written: true },
  ], cache);
  return plan(
    'lion',
    { param, grad, expAvg },
    {
      gradScale, paramDecay: 1 - lr * weightDecay, lr, beta1, oneMinusBeta1: 1 - beta1, beta2,
      oneMinusBeta2: 1 - beta2,
    },
    cache,
  );
}

export function lion(params: Float32Array[], grads: Float32Array[], expAvgs: Float32Array[], options: LionCallOptions): void {
  planLion(params, grads, expAvgs, options)();
}
