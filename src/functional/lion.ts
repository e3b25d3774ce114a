import { checkBeta, checkOptions, type CommonOptions, commonScalars } from './common-options';
import { checkStateStreams, type StoredArgs } from './stored-layout';
import { planKernelCall, type PlannedUpdate } from './planned-update';
import { splitState, type StateTensor } from './stored';
import type { StreamCache } from '../backend/types';

export interface LionCallOptions extends CommonOptions {
  /** Interpolation between momentum and gradient for the update. */
  beta1: number;
  /** Decay of the momentum. */
  beta2: number;
}

/** Lion (Chen et al. 2023, Algorithm 1) over many tensors: sign of the interpolated momentum, decoupled decay. */
export function planLion(
  params: Float32Array[], grads: Float32Array[], expAvgs: Float32Array[], options: LionCallOptions, cache?: StreamCache, stored?: StoredArgs,
): PlannedUpdate {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  const beta1 = checkBeta('beta1', options.beta1);
  const beta2 = checkBeta('beta2', options.beta2);
  const { lists, fields } = checkStateStreams([
    { name: 'params', list: params, written: true },
    { name: 'grads', list: grads, written: false },
    { name: 'expAvgs', list: expAvgs, written: true, stream: 'expAvg' },
  ], cache, stored);
  const [param, grad, expAvg] = lists;
  return planKernelCall(
    'lion',
    Object.assign({ param, grad, expAvg }, fields),
    {
      gradScale, paramDecay: 1 - lr * weightDecay, lr, beta1, oneMinusBeta1: 1 - beta1, beta2,
      oneMinusBeta2: 1 - beta2,
    },
    cache,
  );
}

/** One Lion update over many tensors (state in options.stateDtype). */
export function lion(params: Float32Array[], grads: Float32Array[], expAvgs: StateTensor[], options: LionCallOptions): void {
  checkOptions(options);
  const { lists, stored } = splitState(options, { expAvgs });
  planLion(params, grads, lists.expAvgs as Float32Array[], options, undefined, stored)();
}
