// NAdam (Dozat, 2016) with PyTorch 2.x's μ schedule, as torch.optim.NAdam: the functional form
// (nadam) and the class. Per element, with g the gradient times gradScale (negated to maximize),
// t the step, ψ = momentumDecay:
//   g ← g + λ·θ
//   μ_t = β1·(1 − ½·0.96^(t·ψ)),  Π_t = Π_{t−1}·μ_t (kept per parameter, in float32)
//   m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²,  d = √(v/(1 − β2^t)) + ε
//   θ ← θ − lr·(1 − μ_t)/(1 − Π_t) · g/d − lr·μ_{t+1}/(1 − Π_t·μ_{t+1}) · m/d
// Kernel: native/kernels/nadam.cpp, specified by src/backend/js/nadam.ts.
import type { StreamCache } from '../backend/types';
import { type AdamLikeCallOptions, checkAdamLike, momentStreams } from '../functional/adam-like';
import { addBookkeeping } from '../functional/bookkeeping';
import { checkOptions } from '../functional/common-options';
import { paramOutField } from '../functional/outputs';
import { planKernelCall, type PlannedUpdate } from '../functional/planned-update';
import { splitState, type StateTensor } from '../functional/stored';
import type { StoredArgs } from '../functional/stored-layout';
import { runAll } from '../functional/step-runner';
import { isTensorListError, reindex } from '../functional/tensor-error';
import { checkNumber } from '../functional/validate';
import { AdamLike, type Planner, STORED_ADAM_LIKE, type StoredAdamLikeOptions } from './adam-like';
import { groupOptionsWith } from './option-checks';
import type { ParamGroup, Parameter, ParamState } from './optimizer';

export interface NadamCallOptions extends AdamLikeCallOptions {
  /** psi of the momentum schedule mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi)). */
  momentumDecay: number;
  /** Product of μ_1 … μ_{step-1} (1 at the first step); nadam() returns the product through μ_step. */
  muProduct: number;
}

const f = Math.fround;

/**
 * NAdam over many tensors with PyTorch 2.x's μ schedule. (torch 1.13 multiplied μ_t into the
 * next product twice; 2.0 fixed it. This follows 2.x, which keeps the product in float32.)
 */
export function planNadam(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  options: NadamCallOptions,
  cache?: StreamCache,
  stored?: StoredArgs,
): { run: PlannedUpdate; muProduct: number } {
  const { lr, weightDecay, gradScale, step, beta1, beta2, eps } = checkAdamLike(options);
  const momentumDecay = checkNumber('momentumDecay', options.momentumDecay, { min: 0 });
  const previous = checkNumber('muProduct', options.muProduct, { min: 0, max: 1 });
  const { lists, fields } = momentStreams(params, grads, ['expAvgs', expAvgs, 'expAvg'], ['expAvgSqs', expAvgSqs, 'expAvgSq'], cache, stored, options);
  const [param, grad, expAvg, expAvgSq] = lists;
  const mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentumDecay));
  const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentumDecay));
  const muProduct = f(f(previous) * f(mu));
  const muProductNext = muProduct * muNext;
  const run = planKernelCall(
    'nadam',
    Object.assign({ param, grad, expAvg, expAvgSq }, fields, paramOutField(options, lists)),
    {
      gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, oneMinusBeta1: 1 - beta1, beta2,
      oneMinusBeta2: 1 - beta2, bc2: 1 - beta2 ** step, eps,
      gradStep: (lr * (1 - mu)) / (1 - muProduct),
      avgStep: (lr * muNext) / (1 - muProductNext),
    },
    cache,
  );
  return { run, muProduct };
}

/** Runs one NAdam update (state in options.stateDtype); returns the μ product to pass as muProduct next step. */
export function nadam(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: StateTensor[],
  expAvgSqs: StateTensor[],
  options: NadamCallOptions,
): number {
  checkOptions(options);
  const { lists, stored } = splitState(options, { expAvgs, expAvgSqs });
  const { run, muProduct } = planNadam(params, grads, lists.expAvgs as Float32Array[], lists.expAvgSqs as Float32Array[], options, undefined, stored);
  run();
  return muProduct;
}

export interface NadamOptions extends StoredAdamLikeOptions {
  /** psi of the momentum schedule mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi)). Default 4e-3. */
  momentumDecay: number;
}

/** NAdam (Dozat, 2016) with PyTorch 2.x's μ schedule, as torch.optim.NAdam. */
export class NAdam extends AdamLike<NadamOptions> {
  protected override readonly stateType = 'NAdam';
  /** @internal */
  protected readonly stateLists = { expAvgs: 'expAvg', expAvgSqs: 'expAvgSq' };
  /** @internal */
  protected readonly planner: Planner<NadamOptions> = (o, call, stored) => {
    const states = call.states;
    // μ_t depends on the betas and momentumDecay of each step taken, so parameters with the same
    // step count can still carry different μ products (missed steps while a scheduler cycled
    // beta1): one call per distinct product, as PyTorch keeps it per parameter.
    const byProduct = new Map<number, number[]>();
    states.forEach((s, i) => {
      const key = s.muProduct as number;
      const same = byProduct.get(key);
      if (same === undefined) byProduct.set(key, [i]);
      else same.push(i);
    });
    const runs = [...byProduct].map(([previous, idx]): PlannedUpdate => {
      // The usual case, one product for all: the group call's own lists, so its cache applies.
      const pick = byProduct.size === 1 ? <T>(list: T[]) => list : <T>(list: T[]) => idx.map((i) => list[i]);
      let planned: ReturnType<typeof planNadam>;
      try {
        planned = planNadam(
          pick(call.datas()), pick(call.grads()), pick(call.buffers('expAvg')), pick(call.buffers('expAvgSq')),
          groupOptionsWith(o, { muProduct: previous }),
          byProduct.size === 1 ? call.cache : undefined,
          stored && { layout: stored.layout, absmax: stored.absmax && Object.fromEntries(Object.entries(stored.absmax).map(([k, v]) => [k, pick(v as Float32Array[])])) },
        );
      } catch (e) {
        // "grads[k]" counts the picked tensors; the caller maps indices of the call's lists.
        if (isTensorListError(e)) reindex(e, idx);
        throw e;
      }
      const { run, muProduct } = planned;
      return (bookkeeping) => addBookkeeping(run(bookkeeping), () => idx.forEach((i) => (states[i].muProduct = muProduct)), bookkeeping);
    });
    return (bookkeeping) => runAll(runs, bookkeeping);
  };
  constructor(params: Parameter[] | ParamGroup[], options: Partial<NadamOptions> = {}) {
    super(params, { lr: 2e-3, ...STORED_ADAM_LIKE, momentumDecay: 4e-3 }, options);
  }
  /** @internal */
  protected override checkGroup(g: ParamGroup & NadamOptions, where: string): void {
    super.checkGroup(g, where);
    checkNumber(`${where}.momentumDecay`, g.momentumDecay, { min: 0 });
  }
  /** @internal */
  protected override initialState(): ParamState {
    return { muProduct: 1 };
  }
}
