// RAdam (Liu et al., 2020), as torch.optim.RAdam: the functional form (radam) and the class. Per
// element, with g the gradient times gradScale (negated to maximize), t the step:
//   g ← g + λ·θ
//   m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²
//   ρ∞ = 2/(1 − β2) − 1,  ρ_t = ρ∞ − 2t·β2^t/(1 − β2^t)
//   ρ_t > 5: r = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t)),
//            θ ← θ − lr · m/(1 − β1^t) · r · √(1 − β2^t)/(√v + ε)
//   else:    θ ← θ − lr · m/(1 − β1^t)
// Kernel: native/kernels/radam.cpp, specified by src/backend/js/radam.ts.
import type { StreamCache } from '../backend/types';
import { type AdamLikeCallOptions, checkAdamLike, momentStreams } from '../functional/adam-like';
import { checkOptions } from '../functional/common-options';
import { paramOutField } from '../functional/outputs';
import { planKernelCall, type PlannedUpdate } from '../functional/planned-update';
import { splitState, type StateTensor } from '../functional/stored';
import type { StoredArgs } from '../functional/stored-layout';
import { AdamLike, type Planner, STORED_ADAM_LIKE, type StoredAdamLikeOptions } from './adam-like';
import type { ParamGroup, Parameter } from './optimizer';

export type RadamCallOptions = AdamLikeCallOptions;

/** RAdam over many tensors, as torch.optim.RAdam (un-adapted steps while ρ_t <= 5). */
export function planRadam(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  options: RadamCallOptions,
  cache?: StreamCache,
  stored?: StoredArgs,
): PlannedUpdate {
  const { lr, weightDecay, gradScale, step, beta1, beta2, eps } = checkAdamLike(options);
  const { lists, fields } = momentStreams(params, grads, ['expAvgs', expAvgs, 'expAvg'], ['expAvgSqs', expAvgSqs, 'expAvgSq'], cache, stored, options);
  const [param, grad, expAvg, expAvgSq] = lists;
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
    Object.assign({ param, grad, expAvg, expAvgSq }, fields, paramOutField(options, lists)),
    {
      gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, oneMinusBeta1: 1 - beta1, beta2,
      oneMinusBeta2: 1 - beta2, bc1, bc2Sqrt: Math.sqrt(bc2), eps, lr, rect, rectified,
    },
    cache,
  );
}

/** One RAdam update over many tensors (state in options.stateDtype). */
export function radam(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: StateTensor[],
  expAvgSqs: StateTensor[],
  options: RadamCallOptions,
): void {
  checkOptions(options);
  const { lists, stored } = splitState(options, { expAvgs, expAvgSqs });
  planRadam(params, grads, lists.expAvgs as Float32Array[], lists.expAvgSqs as Float32Array[], options, undefined, stored)();
}

/** RAdam (Liu et al., 2020), as torch.optim.RAdam. */
export class RAdam extends AdamLike<StoredAdamLikeOptions> {
  protected override readonly stateType = 'RAdam';
  /** @internal */
  protected readonly stateLists = { expAvgs: 'expAvg', expAvgSqs: 'expAvgSq' };
  /** @internal */
  protected readonly planner: Planner<StoredAdamLikeOptions> = (o, call, stored) =>
    planRadam(call.datas(), call.grads(), call.buffers('expAvg'), call.buffers('expAvgSq'), o, call.cache, stored);
  constructor(params: Parameter[] | ParamGroup[], options: Partial<StoredAdamLikeOptions> = {}) {
    super(params, { lr: 1e-3, ...STORED_ADAM_LIKE }, options);
  }
}
