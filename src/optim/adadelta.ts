import { planAdadelta } from '../functional/adadelta';
import { checkNumber } from '../functional/validate';
import { checkCommon } from './adam';
import type { PlannedUpdate } from '../functional/planned-update';
import { groupOptionsWith } from './option-checks';
import { Optimizer, type ParamGroup, type Parameter } from './optimizer';
import { zeros } from './state';

export interface AdadeltaOptions {
  /** Scales the update. Default 1.0. */
  lr: number;
  /** Decay of the running averages. Default 0.9. */
  rho: number;
  /** Added inside the square roots. Default 1e-6. */
  eps: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
  /** Ascend instead of descend. Default false. */
  maximize: boolean;
}

/** Adadelta (Zeiler, 2012), as torch.optim.Adadelta. */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  protected override readonly stateType = 'Adadelta';
  constructor(params: Parameter[] | ParamGroup[], options: Partial<AdadeltaOptions> = {}) {
    super(params, { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false }, options);
  }

  /** @internal */
  protected checkGroup(g: ParamGroup & AdadeltaOptions, where: string): void {
    checkCommon(where, g);
    checkNumber(`${where}.rho`, g.rho, { min: 0, max: 1 });
    checkNumber(`${where}.eps`, g.eps, { min: 0 });
  }

  /** @internal */
  protected planGroup(g: ParamGroup & AdadeltaOptions, params: Parameter[], gradScale: number): PlannedUpdate {
    return this.planByStep(
      g,
      params,
      ['squareAvg', 'accDelta'],
      (p, s) => (s === undefined ? { step: 0, ...zeros(p, ['squareAvg', 'accDelta']) } : undefined),
      (_, call) =>
        planAdadelta(call.datas(), call.grads(), call.buffers('squareAvg'), call.buffers('accDelta'), groupOptionsWith(g, { gradScale }), call.cache),
    );
  }
}
