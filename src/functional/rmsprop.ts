import { checkOptions, type CommonOptions, commonScalars } from './common-options';
import { checkStateStreams, type StoredArgs } from './stored-layout';
import { planKernelCall, type PlannedUpdate } from './planned-update';
import { splitState, type StateTensor } from './stored';
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
  stored?: StoredArgs,
): PlannedUpdate {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  const alpha = checkNumber('alpha', options.alpha, { min: 0 });
  const eps = checkNumber('eps', options.eps, { min: 0 });
  const momentum = checkNumber('momentum', options.momentum, { min: 0 });
  const centered = checkBoolean('centered', options.centered);
  const { lists, fields } = checkStateStreams([
    { name: 'params', list: params, written: true },
    { name: 'grads', list: grads, written: false },
    { name: 'squareAvgs', list: squareAvgs, written: true, stream: 'squareAvg' },
    ...(centered ? [{ name: 'gradAvgs', list: gradAvgs, written: true, stream: 'gradAvg' }] : []),
    ...(momentum > 0 ? [{ name: 'momentumBuffers', list: momentumBuffers, written: true, stream: 'momentumBuffer' }] : []),
  ], cache, stored);
  const [param, grad, squareAvg] = lists;
  const gradAvg = centered ? lists[3] : null;
  const momentumBuffer = momentum > 0 ? lists[centered ? 4 : 3] : null;
  return planKernelCall(
    'rmsprop',
    Object.assign({ param, grad, squareAvg, gradAvg, momentumBuffer }, fields),
    {
      gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, alpha, oneMinusAlpha: 1 - alpha, eps, lr,
      momentum, hasMomentum: momentum > 0, centered,
    },
    cache,
  );
}

/** One RMSprop update over many tensors (state in options.stateDtype). */
export function rmsprop(
  params: Float32Array[],
  grads: Float32Array[],
  squareAvgs: StateTensor[],
  gradAvgs: StateTensor[] | null,
  momentumBuffers: StateTensor[] | null,
  options: RmspropCallOptions,
): void {
  checkOptions(options);
  const { lists, stored } = splitState(options, { squareAvgs, gradAvgs, momentumBuffers });
  const s = lists as unknown as Record<string, Float32Array[]>;
  planRmsprop(params, grads, s.squareAvgs, s.gradAvgs, s.momentumBuffers, options, undefined, stored)();
}
