import { planAdagrad } from '../functional/adagrad';
import { checkNumber } from '../functional/validate';
import { checkCommon } from './adam';
import type { PlannedUpdate } from '../functional/planned-update';
import { groupOptionsWith } from './option-checks';
import { Optimizer, type ParamGroup, type Parameter } from './optimizer';
import { checkStoredOptions, formatFor, STORED_DEFAULTS, storedArgs, storedZeros, type StoredStateOptions } from './stored-state';

export interface AdagradOptions extends StoredStateOptions {
  /** Learning rate. Default 1e-2. */
  lr: number;
  /** The lr at step t is lr / (1 + (t - 1) * lrDecay). Default 0. */
  lrDecay: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
  /** Starting value of the sum of squared gradients. Default 0. */
  initialAccumulatorValue: number;
  /** Added to the denominator. Default 1e-10. */
  eps: number;
  /** Ascend instead of descend. Default false. */
  maximize: boolean;
}

/** Adagrad (Duchi et al., 2011), as torch.optim.Adagrad. */
export class Adagrad extends Optimizer<AdagradOptions> {
  protected override readonly stateType = 'Adagrad';
  constructor(params: Parameter[] | ParamGroup[], options: Partial<AdagradOptions> = {}) {
    super(params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, ...STORED_DEFAULTS }, options);
  }

  /** @internal */
  protected checkGroup(g: ParamGroup & AdagradOptions, where: string): void {
    checkCommon(where, g);
    checkNumber(`${where}.lrDecay`, g.lrDecay, { min: 0 });
    checkNumber(`${where}.initialAccumulatorValue`, g.initialAccumulatorValue, { min: 0 });
    checkNumber(`${where}.eps`, g.eps, { min: 0 });
    checkStoredOptions(where, g);
  }

  /** @internal */
  protected planGroup(g: ParamGroup & AdagradOptions, params: Parameter[], gradScale: number): PlannedUpdate {
    return this.planByStep(
      g,
      params,
      ['sum'],
      (p, s) => (s === undefined ? { step: 0, ...storedZeros(p, ['sum'], formatFor(g, p), g.initialAccumulatorValue) } : undefined),
      (step, call, format) =>
        planAdagrad(
          call.datas(), call.grads(), call.buffers('sum'), groupOptionsWith(g, { step, gradScale }), call.cache,
          storedArgs(format, call, { stateSums: 'sum' }),
        ),
    );
  }
}
