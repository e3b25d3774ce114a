// LAMB (You et al. 2019, Algorithm 2): the functional form (lamb) and the class. Per element,
// with g the gradient times gradScale (negated to maximize), t the step; per tensor, the norms:
//   m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²
//   u = (m/(1 − β1^t)) / (√(v/(1 − β2^t)) + ε) + λ·θ
//   θ ← θ − lr · (‖θ‖/‖u‖) · u            (trust ratio 1 when either norm is 0)
// Kernel: native/kernels/lamb.cpp (two passes), specified by src/backend/js/lamb.ts.
import type { StreamCache } from '../backend/types';
import { type AdamLikeCallOptions, checkAdamLike, momentStreams } from '../functional/adam-like';
import { paramOutField } from '../functional/outputs';
import { planKernelCall, type PlannedUpdate } from '../functional/planned-update';
import { checkNumber } from '../functional/validate';
import { ADAM_LIKE, AdamLike, type AdamLikeOptions, type Planner } from './adam-like';
import type { ParamGroup, Parameter } from './optimizer';

export type LambCallOptions = AdamLikeCallOptions;

/**
 * LAMB (You et al. 2019, Algorithm 2) over many tensors: bias-corrected Adam direction plus
 * decoupled weight decay, scaled per tensor by the trust ratio ||p|| / ||u|| (1 where either is 0).
 */
export function planLamb(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  options: LambCallOptions,
  cache?: StreamCache,
): PlannedUpdate {
  // The trust ratio needs the whole update before any parameter is written: two passes that
  // have no stored-state form, so a stored format asked for is refused rather than ignored.
  if (options?.stateDtype !== undefined && options.stateDtype !== 'float32')
    throw new RangeError(`lamb keeps float32 state: stateDtype must be 'float32' or absent, got ${JSON.stringify(options.stateDtype)}`);
  // eps > 0: a zero denominator would make the update, and so every trust ratio, NaN.
  const { lr, weightDecay, gradScale, step, beta1, beta2, eps } = checkAdamLike(options, { min: 0, minExclusive: true });
  const { lists } = momentStreams(params, grads, ['expAvgs', expAvgs, 'expAvg'], ['expAvgSqs', expAvgSqs, 'expAvgSq'], cache, undefined, options);
  const [param, grad, expAvg, expAvgSq] = lists;
  return planKernelCall(
    'lamb',
    { param, grad, expAvg, expAvgSq, ...paramOutField(options, lists) },
    {
      gradScale, oneMinusBeta1: 1 - beta1, beta2, oneMinusBeta2: 1 - beta2, bc1: 1 - beta1 ** step,
      bc2: 1 - beta2 ** step, eps, weightDecay, hasWeightDecay: weightDecay !== 0, lr,
    },
    cache,
  );
}

export function lamb(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  options: LambCallOptions,
): void {
  planLamb(params, grads, expAvgs, expAvgSqs, options)();
}

/** LAMB (You et al., 2019): Adam direction with a per-tensor trust ratio, for large batches. */
export class LAMB extends AdamLike<AdamLikeOptions> {
  protected override readonly stateType = 'LAMB';
  /** @internal */
  protected readonly stateLists = { expAvgs: 'expAvg', expAvgSqs: 'expAvgSq' };
  /** @internal */
  protected readonly planner: Planner<AdamLikeOptions> = (o, call) =>
    planLamb(call.datas(), call.grads(), call.buffers('expAvg'), call.buffers('expAvgSq'), o, call.cache);
  constructor(params: Parameter[] | ParamGroup[], options: Partial<AdamLikeOptions> = {}) {
    super(params, { lr: 1e-3, ...ADAM_LIKE, eps: 1e-6 }, options);
  }
  /** @internal */
  protected override checkGroup(g: ParamGroup & AdamLikeOptions, where: string): void {
    super.checkGroup(g, where);
    checkNumber(`${where}.eps`, g.eps, { min: 0, minExclusive: true });
  }
}
