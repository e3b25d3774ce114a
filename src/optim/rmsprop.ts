import { planRmsprop } from '../functional/rmsprop';
import { checkBoolean, checkNumber } from '../functional/validate';
import { checkCommon } from './adam';
import type { PlannedUpdate } from '../functional/planned-update';
import { groupOptionsWith } from './option-checks';
import { Optimizer, type ParamGroup, type Parameter } from './optimizer';
import {
  checkStoredOptions, formatFor, formatOf, STORED_DEFAULTS, storedArgs, storedZeros, type StoredStateOptions,
} from './stored-state';

export interface RmspropOptions extends StoredStateOptions {
  /** Learning rate. Default 1e-2. */
  lr: number;
  /** Smoothing constant of the squared-gradient average. Default 0.99. */
  alpha: number;
  /** Added to the denominator. Default 1e-8. */
  eps: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
  /** Momentum factor (0: no momentum buffer). Default 0. */
  momentum: number;
  /** Normalize by the variance (the average gradient is subtracted). Default false. */
  centered: boolean;
  /** Ascend instead of descend. Default false. */
  maximize: boolean;
}

/** RMSprop (Hinton), optionally centered and with momentum, as torch.optim.RMSprop. */
export class RMSprop extends Optimizer<RmspropOptions> {
  protected override readonly stateType = 'RMSprop';
  constructor(params: Parameter[] | ParamGroup[], options: Partial<RmspropOptions> = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, ...STORED_DEFAULTS }, options);
  }

  /** @internal */
  protected checkGroup(g: ParamGroup & RmspropOptions, where: string): void {
    checkCommon(where, g);
    checkNumber(`${where}.alpha`, g.alpha, { min: 0 });
    checkNumber(`${where}.eps`, g.eps, { min: 0 });
    checkNumber(`${where}.momentum`, g.momentum, { min: 0 });
    checkBoolean(`${where}.centered`, g.centered);
    checkStoredOptions(where, g);
  }

  /** @internal */
  protected planGroup(g: ParamGroup & RmspropOptions, params: Parameter[], gradScale: number): PlannedUpdate {
    const wanted = ['squareAvg', ...(g.momentum > 0 ? ['momentumBuffer'] : []), ...(g.centered ? ['gradAvg'] : [])];
    return this.planByStep(
      g,
      params,
      wanted,
      (p, s) => {
        const missing = wanted.filter((name) => s?.[name] === undefined);
        // Buffers added mid-run (momentum or centered switched on) take the format of the others.
        return missing.length ? { step: 0, ...s, ...storedZeros(p, missing, s === undefined ? formatFor(g, p) : formatOf(s)) } : undefined;
      },
      (_, call, format) =>
        planRmsprop(
          call.datas(), call.grads(), call.buffers('squareAvg'), g.centered ? call.buffers('gradAvg') : null,
          g.momentum > 0 ? call.buffers('momentumBuffer') : null, groupOptionsWith(g, { gradScale }), call.cache,
          storedArgs(format, call, {
            squareAvgs: 'squareAvg', ...(g.centered ? { gradAvgs: 'gradAvg' } : {}), ...(g.momentum > 0 ? { momentumBuffers: 'momentumBuffer' } : {}),
          }),
        ),
    );
  }
}
