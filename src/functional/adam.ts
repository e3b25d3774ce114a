import { Decay } from '../backend/types';
import { type AdamLikeCallOptions, checkAdamLike } from './adam-like';
import { checkOptions } from './common-options';
import { checkStateStreams, type StoredArgs } from './stored-layout';
import { planKernelCall, type PlannedUpdate } from './planned-update';
import { splitState, type StateTensor } from './stored';
import type { StreamCache } from '../backend/types';
import { checkBoolean } from './validate';

export interface AdamCallOptions extends AdamLikeCallOptions {
  /** Use the maximum of past second moments (needs maxExpAvgSqs). */
  amsgrad: boolean;
}

/**
 * Validates everything and computes the per-step scalars in double; returns the update, not
 * yet run. Optimizers plan every group before running any, so a rejected step changes nothing.
 */
export function planAdam(
  decoupled: boolean,
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  maxExpAvgSqs: Float32Array[] | null,
  options: AdamCallOptions,
  cache?: StreamCache,
  stored?: StoredArgs,
): PlannedUpdate {
  const { lr, weightDecay, gradScale, step, beta1, beta2, eps } = checkAdamLike(options);
  const amsgrad = checkBoolean('amsgrad', options.amsgrad);
  const { lists, fields } = checkStateStreams(
    [
      { name: 'params', list: params, written: true },
      { name: 'grads', list: grads, written: false },
      { name: 'expAvgs', list: expAvgs, written: true, stream: 'expAvg' },
      { name: 'expAvgSqs', list: expAvgSqs, written: true, stream: 'expAvgSq' },
      ...(amsgrad ? [{ name: 'maxExpAvgSqs', list: maxExpAvgSqs, written: true, stream: 'maxExpAvgSq' }] : []),
    ],
    cache,
    stored,
  );
  const [param, grad, expAvg, expAvgSq, maxExpAvgSq] = lists;
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2 = 1 - beta2 ** step;
  return planKernelCall(
    'adam',
    Object.assign({ param, grad, expAvg, expAvgSq, maxExpAvgSq: amsgrad ? maxExpAvgSq : null }, fields),
    {
      gradScale,
      l2: decoupled ? 0 : weightDecay,
      paramDecay: decoupled ? 1 - lr * weightDecay : 1,
      oneMinusBeta1: 1 - beta1,
      beta2,
      oneMinusBeta2: 1 - beta2,
      stepSize: lr / biasCorrection1,
      bc2Sqrt: Math.sqrt(biasCorrection2),
      eps,
      decay: weightDecay === 0 ? Decay.None : decoupled ? Decay.Decoupled : Decay.L2,
      amsgrad,
    },
    cache,
  );
}

/** One Adam update (L2 weight decay) over many tensors, as torch.optim.Adam (state in options.stateDtype). */
export function adam(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: StateTensor[],
  expAvgSqs: StateTensor[],
  maxExpAvgSqs: StateTensor[] | null,
  options: AdamCallOptions,
): void {
  runAdam(false, params, grads, expAvgs, expAvgSqs, maxExpAvgSqs, options);
}

function runAdam(
  decoupled: boolean,
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: StateTensor[],
  expAvgSqs: StateTensor[],
  maxExpAvgSqs: StateTensor[] | null,
  options: AdamCallOptions,
): void {
  checkOptions(options);
  const { lists, stored } = splitState(options, { expAvgs, expAvgSqs, maxExpAvgSqs });
  const s = lists as unknown as Record<string, Float32Array[]>;
  planAdam(decoupled, params, grads, s.expAvgs, s.expAvgSqs, s.maxExpAvgSqs, options, undefined, stored)();
}

/** One AdamW update (decoupled weight decay) over many tensors, as torch.optim.AdamW. */
export function adamw(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: StateTensor[],
  expAvgSqs: StateTensor[],
  maxExpAvgSqs: StateTensor[] | null,
  options: AdamCallOptions,
): void {
  runAdam(true, params, grads, expAvgs, expAvgSqs, maxExpAvgSqs, options);
}
