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
import { planKernelCall, type PlannedUpdate } from '../functional/planned-update';
import { ADAM_LIKE, AdamLike, type AdamLikeOptions, type Planner } from './adam-like';
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
): PlannedUpdate {
  const { lr, weightDecay, gradScale, step, beta1, beta2, eps } = checkAdamLike(options);
  const [param, grad, expAvg, expInf] = momentStreams(params, grads, ['expAvgs', expAvgs], ['expInfs', expInfs], cache);
  return planKernelCall(
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
  options: AdamaxCallOptions,
): void {
  planAdamax(params, grads, expAvgs, expInfs, options)();
}

/** Adamax, the infinity-norm Adam (Kingma & Ba, 2015), as torch.optim.Adamax. */
export class Adamax extends AdamLike<AdamLikeOptions> {
  protected override readonly stateType = 'Adamax';
  /** @internal */
  protected readonly bufferNames = ['expAvg', 'expInf'];
  /** @internal */
  protected readonly planner: Planner<AdamLikeOptions> = (o, call) =>
    planAdamax(call.datas(), call.grads(), call.buffers('expAvg'), call.buffers('expInf'), o, call.cache);
  constructor(params: Parameter[] | ParamGroup[], options: Partial<AdamLikeOptions> = {}) {
    super(params, { lr: 2e-3, ...ADAM_LIKE }, options);
  }
}
