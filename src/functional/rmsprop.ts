import { checkOptions, checkStreams, type CommonOptions, commonScalars, plan, type Run } from './plan';
import type { StreamCache } from '../backend/types';
import { checkBoolean, checkNumber } from './validate';

export interface RmspropCallOptions extends CommonOptions {
  /** Smoothing constant of the squared-gradient average. */
  alpha: number;
  /** Added to the denominator. */
  eps: number;
  /** Momentum factor; 0 for none. */
  momentum: number;
  /** Normalize by the variance (needs gradAvgs). */
  centered: boolean;
}

/** RMSprop over many tensors, as torch.optim.RMSprop. gradAvgs only when centered, momentumBuffers only with momentum. */
export function planRmsprop(
  params: Float32Array[],
  grads: Float32Array[],
  squareAvgs: Float32Array[],
  gradAvgs: Float32Array[] | null,
  momentumBuffers: Float32Array[] | null,
  options: RmspropCallOptions,
  cache?: StreamCache,
): Run {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  const alpha = checkNumber('alpha', options.alpha, { min: 0 });
  const eps = checkNumber('eps', options.eps, { min: 0 });
  const momentum = checkNumber('momentum', options.momentum, { min: 0 });
  const centered = checkBoolean('centered', options.centered);
  const lists = checkStreams([
    { name: 'params', list: params, written: true },
    { name: 'grads', list: grads, written: false },
    { name: 'squareAvgs', list: squareAvgs, written: true },
    ...(centered ? [{ name: 'gradAvgs', list: gradAvgs, written: true }] : []),
    ...(momentum > 0 ? [{ name: 'momentumBuffers', list: momentumBuffers, written: true }] : []),
  ], cache);
  const [param, grad, squareAvg] = lists;
  const gradAvg = centered ? lists[3] : null;
  const momentumBuffer = momentum > 0 ? lists[centered ? 4 : 3] : null;
  return plan(
    'rmsprop',
    { param, grad, squareAvg, gradAvg, momentumBuffer },
    {
      gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, alpha, oneMinusAlpha: 1 - alpha, eps, lr,
      momentum, hasMomentum: momentum > 0, centered,
    },
    cache,
  );
}

export function rmsprop(
  params: Float32Array[],
  grads: Float32Array[],
  squareAvgs: Float32Array[],
  gradAvgs: Float32Array[] | null,
  momentumBuffers: Float32Array[] | null,
  options: RmspropCallOptions,
): void {
  planRmsprop(params, grads, squareAvgs, gradAvgs, momentumBuffers, options)();
}
