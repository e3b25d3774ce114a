// What Adamax, NAdam, RAdam and LAMB share as classes: Adam's options shape (lr, betas, eps,
// weightDecay), its checks, and one backend call per step count over two moment buffers.
import type { PlannedUpdate } from '../functional/planned-update';
import { checkNumber } from '../functional/validate';
import type { GroupCall } from './group-call';
import { checkBetas, checkCommon, groupOptionsWith } from './option-checks';
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

export type Planner<O> = (g: O & { step: number; beta1: number; beta2: number; gradScale: number }, call: GroupCall) => PlannedUpdate;

export abstract class AdamLike<O extends AdamLikeOptions> extends Optimizer<O> {
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

export const ADAM_LIKE = { betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0, maximize: false };
