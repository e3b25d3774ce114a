// What Adamax, NAdam, RAdam and LAMB share as classes: Adam's options shape (lr, betas, eps,
// weightDecay), its checks, and one backend call per step count over two moment buffers, stored
// in the group's stateDtype where the class offers one (all but LAMB).
import type { PlannedUpdate } from '../functional/planned-update';
import type { StoredArgs } from '../functional/stored-layout';
import { checkNumber } from '../functional/validate';
import type { GroupCall } from './group-call';
import { checkBetas, checkCommon, groupOptionsWith } from './option-checks';
import { Optimizer, type ParamGroup, type Parameter, type ParamState } from './optimizer';
import { checkStoredOptions, formatFor, STORED_DEFAULTS, storedArgs, storedZeros, type StoredStateOptions } from './stored-state';

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

/** Adam-like options with stored state (Adamax, NAdam, RAdam). */
export interface StoredAdamLikeOptions extends AdamLikeOptions, StoredStateOptions {}

export type Planner<O> = (
  g: O & { step: number; beta1: number; beta2: number; gradScale: number },
  call: GroupCall,
  stored: StoredArgs | undefined,
) => PlannedUpdate;

export abstract class AdamLike<O extends AdamLikeOptions> extends Optimizer<O> {
  /** The functional form's state arguments, each with the state buffer it takes. @internal */
  protected abstract readonly stateLists: Readonly<Record<string, string>>;
  /** @internal */
  protected abstract readonly planner: Planner<O>;

  /** @internal */
  protected checkGroup(g: ParamGroup & O, where: string): void {
    checkCommon(where, g);
    checkBetas(where, g.betas);
    checkNumber(`${where}.eps`, g.eps, { min: 0 });
    if ('stateDtype' in this.defaults) checkStoredOptions(where, g as unknown as StoredStateOptions);
  }

  /** @internal */
  protected planGroup(g: ParamGroup & O, params: Parameter[], gradScale: number): PlannedUpdate {
    const buffers = Object.values(this.stateLists);
    // LAMB's defaults have no stateDtype (its groups cannot ask for one): float32 state.
    const stored = 'stateDtype' in g;
    return this.planByStep(
      g,
      params,
      buffers,
      (p, s) =>
        s === undefined
          ? { step: 0, ...this.initialState(), ...storedZeros(p, buffers, stored ? formatFor(g as unknown as StoredStateOptions, p) : 'float32') }
          : undefined,
      (step, call, format) =>
        this.planner(groupOptionsWith(g, { step, beta1: g.betas[0], beta2: g.betas[1], gradScale }), call, storedArgs(format, call, this.stateLists)),
    );
  }

  /** @internal */
  protected initialState(): ParamState {
    return {};
  }
}

export const ADAM_LIKE = { betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0, maximize: false };

/** ADAM_LIKE with the stored-state defaults (stateDtype 'float32'). */
export const STORED_ADAM_LIKE = { ...ADAM_LIKE, ...STORED_DEFAULTS };
