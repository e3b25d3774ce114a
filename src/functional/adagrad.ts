import { checkOptions, checkStep, type CommonOptions, commonScalars } from './common-options';
import { checkStateStreams, type StoredArgs } from './stored-layout';
import { planKernelCall, type PlannedUpdate } from './planned-update';
import { splitState, type StateTensor } from './stored';
import type { StreamCache } from '../backend/types';
import { checkNumber } from './validate';

export interface AdagradCallOptions extends CommonOptions {
  /** 1-based number of this update (the lr decay uses it). */
  step: number;
  /** The lr at step t is lr / (1 + (t - 1) * lrDecay). */
  lrDecay: number;
  /** Added to the denominator. */
  eps: number;
}

/** Adagrad over many tensors, as torch.optim.Adagrad (stateSums start at initialAccumulatorValue). */
export function planAdagrad(
  params: Float32Array[], grads: Float32Array[], stateSums: Float32Array[], options: AdagradCallOptions, cache?: StreamCache, stored?: StoredArgs,
): PlannedUpdate {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  const step = checkStep(options.step);
  const lrDecay = checkNumber('lrDecay', options.lrDecay, { min: 0 });
  const eps = checkNumber('eps', options.eps, { min: 0 });
  const { lists, fields } = checkStateStreams([
    { name: 'params', list: params, written: true },
    { name: 'grads', list: grads, written: false },
    { name: 'stateSums', list: stateSums, written: true, stream: 'sum' },
  ], cache, stored);
  const [param, grad, sum] = lists;
  const clr = lr / (1 + (step - 1) * lrDecay);
  return planKernelCall('adagrad', Object.assign({ param, grad, sum }, fields), { gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, clr, eps }, cache);
}

/** One Adagrad update over many tensors (state in options.stateDtype). */
export function adagrad(params: Float32Array[], grads: Float32Array[], stateSums: StateTensor[], options: AdagradCallOptions): void {
  checkOptions(options);
  const { lists, stored } = splitState(options, { stateSums });
  planAdagrad(params, grads, lists.stateSums as Float32Array[], options, undefined, stored)();
}
