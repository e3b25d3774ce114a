// Adam's relatives that share its options shape: Adamax, NAdam, RAdam, LAMB.
import { planAdamax } from '../functional/adamax';
import { addBookkeeping } from '../functional/bookkeeping';
import type { PlannedUpdate } from '../functional/planned-update';
import { runAll } from '../functional/step-runner';
import { planLamb } from '../functional/lamb';
import { planNadam } from '../functional/nadam';
import { planRadam } from '../functional/radam';
import { checkNumber } from '../functional/validate';
import { checkBetas, checkCommon } from './adam';
import type { GroupCall } from './group-call';
import { isTensorListError, reindex } from '../functional/tensor-error';
import { groupOptionsWith } from './option-checks';
import { Optimizer, type ParamGroup, type Parameter, type ParamState } from './optimizer';
import { zeros } from './state';

export interface AdamLikeOptions {
  /** Learning rate. Default 2e-3 for Adamax and NAdam, 1e-3 for RAdam and LAMB. */
  lr: number;
  /** Decay rates of the first and second moment (Adamax: infinity norm) averages. Default [0.9, 0.999]. */
  betas: [number, number];
  /** Added to the denominator. Default 1e-8 (LAMB: 1e-6). */
  eps: number;
  /** L2 penalty added to the gradient (LAMB: added to the update, decoupled). Default 0. */
  weightDecay: number;
  /** Ascend instead of descend. Default false. */
  maximize: boolean;
}

export interface NadamOptions extends AdamLikeOptions {
  /** psi of the momentum schedule mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi)). Default 4e-3. */
  momentumDecay: number;
}

type Planner<O> = (g: O & { step: number; beta1: number; beta2: number; gradScale: number }, call: GroupCall) => PlannedUpdate;

abstract class AdamLike<O extends AdamLikeOptions> extends Optimizer<O> {
  /** @internal */
  protected abstract readonly bufferNames: string[];
  /** @internal */
  protected abstract readonly planner: Planner<O>;

  /** @internal */
  protected checkGroup(g: ParamGroup & O, where: string): void {
    checkCommon(where, g);
    checkBetas(where, g.betas);
    checkNumber(`${where}.eps`, g.eps, { min: 0 });
  }

  /** @internal */
  protected planGroup(g: ParamGroup & O, params: Parameter[], gradScale: number): PlannedUpdate {
    return this.planByStep(
      g,
      params,
      this.bufferNames,
      (p, s) => (s === undefined ? { step: 0, ...this.initialState(), ...zeros(p, this.bufferNames) } : undefined),
      (step, call) => this.planner(groupOptionsWith(g, { step, beta1: g.betas[0], beta2: g.betas[1], gradScale }), call),
    );
  }

  /** @internal */
  protected initialState(): ParamState {
    return {};
  }
}

const ADAM_LIKE = { betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0, maximize: false };

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

/** NAdam (Dozat, 2016) with PyTorch 2.x's μ schedule, as torch.optim.NAdam. */
export class NAdam extends AdamLike<NadamOptions> {
  protected override readonly stateType = 'NAdam';
  /** @internal */
  protected readonly bufferNames = ['expAvg', 'expAvgSq'];
  /** @internal */
  protected readonly planner: Planner<NadamOptions> = (o, call) => {
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
    super(params, { lr: 2e-3, ...ADAM_LIKE, momentumDecay: 4e-3 }, options);
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

/** RAdam (Liu et al., 2020), as torch.optim.RAdam. */
export class RAdam extends AdamLike<AdamLikeOptions> {
  protected override readonly stateType = 'RAdam';
  /** @internal */
  protected readonly bufferNames = ['expAvg', 'expAvgSq'];
  /** @internal */
  protected readonly planner: Planner<AdamLikeOptions> = (o, call) =>
    planRadam(call.datas(), call.grads(), call.buffers('expAvg'), call.buffers('expAvgSq'), o, call.cache);
  constructor(params: Parameter[] | ParamGroup[], options: Partial<AdamLikeOptions> = {}) {
    super(params, { lr: 1e-3, ...ADAM_LIKE }, options);
  }
}

/** LAMB (You et al., 2019): Adam direction with a per-tensor trust ratio, for large batches. */
export class LAMB extends AdamLike<AdamLikeOptions> {
  protected override readonly stateType = 'LAMB';
  /** @internal */
  protected readonly bufferNames = ['expAvg', 'expAvgSq'];
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
