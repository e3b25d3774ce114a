// Adamax, the infinity-norm Adam (Kingma & Ba, 2015), as torch.optim.Adamax: the functional form
// (adamax) and the class. Per element, with g the gradient times gradScale (negated to maximize),
// t the step:
//   g ← g + λ·θ
//   m ← β1·m + (1 − β1)·g
//   u ← max(β2·u, |g| + ε)
//   θ ← θ − lr/(1 − β1^t) · m/u
// Kernel: native/kernels/adamax.cpp, specified by src/backend/js/adamax.ts.
import type { StreamCache } from '../backend/types';
import { type AdamLikeCallOptions, checkAdamLike, momentStreams } from '../functional/adam-like';
import { checkOptions } from '../functional/common-options';
import { paramOutField } from '../functional/outputs';
import { planKernelCall, type PlannedUpdate } from '../functional/planned-update';
import { splitState, type StateTensor } from '../functional/stored';
import type { StoredArgs } from '../functional/stored-layout';
import { AdamLike, type Planner, STORED_ADAM_LIKE, type StoredAdamLikeOptions } from './adam-like';
import type { ParamGroup, Parameter } from './optimizer';

export type AdamaxCallOptions = AdamLikeCallOptions;

/** Adamax over many tensors, as torch.optim.Adamax. */
export function planAdamax(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expInfs: Float32Array[],
  options: AdamaxCallOptions,
  cache?: StreamCache,
  stored?: StoredArgs,
): PlannedUpdate {
  const { lr, weightDecay, gradScale, step, beta1, beta2, eps } = checkAdamLike(options);
  const { lists, fields } = momentStreams(params, grads, ['expAvgs', expAvgs, 'expAvg'], ['expInfs', expInfs, 'expInf'], cache, stored, options);
  const [param, grad, expAvg, expInf] = lists;
  return planKernelCall(
    'adamax',
    Object.assign({ param, grad, expAvg, expInf }, fields, paramOutField(options, lists)),
    {
      gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, oneMinusBeta1: 1 - beta1, beta2, eps,
      clr: lr / (1 - beta1 ** step),
    },
    cache,
  );
}

/** One Adamax update over many tensors (state in options.stateDtype). */
export function adamax(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: StateTensor[],
  expInfs: StateTensor[],
  options: AdamaxCallOptions,
): void {
  checkOptions(options);
  const { lists, stored } = splitState(options, { expAvgs, expInfs });
  planAdamax(params, grads, lists.expAvgs as Float32Array[], lists.expInfs as Float32Array[], options, undefined, stored)();
}

/** Adamax, the infinity-norm Adam (Kingma & Ba, 2015), as torch.optim.Adamax. */
export class Adamax extends AdamLike<StoredAdamLikeOptions> {
  protected override readonly stateType = 'Adamax';
  /** @internal */
  protected readonly stateLists = { expAvgs: 'expAvg', expInfs: 'expInf' };
  /** @internal */
  protected readonly planner: Planner<StoredAdamLikeOptions> = (o, call, stored) =>
    planAdamax(call.datas(), call.grads(), call.buffers('expAvg'), call.buffers('expInf'), o, call.cache, stored);
  constructor(params: Parameter[] | ParamGroup[], options: Partial<StoredAdamLikeOptions> = {}) {
    super(params, { lr: 2e-3, ...STORED_ADAM_LIKE }, options);
  }
}
