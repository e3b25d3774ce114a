import { planRmsprop } from '../functional/rmsprop';
import { checkBoolean, checkNumber } from '../functional/validate';
import { checkCommon } from './adam';
import type { Run } from '../functional/plan';
import { Optimizer, withOptions, type ParamGroup, type Parameter } from './optimizer';
import { zeros } from './state';

export interface RmspropOptions {
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
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }, options);
  }

  /** @internal */
  protected checkGroup(g: ParamGroup & RmspropOptions, where: string): void {
    checkCommon(where, g);
    checkNumber(`${where}.alpha`, g.alpha, { min: 0 });
    checkNumber(`${where}.eps`, g.eps, { min: 0 });
    checkNumber(`${where}.momentum`, g.momentum, { min: 0 });
    checkBoolean(`${where}.centered`, g.centered);
  }

  /** @internal */
  protected planGroup(g: ParamGroup & RmspropOptions, params: Parameter[], gradScale: number): Run {
    const wanted = ['squareAvg', ...(g.momentum > 0 ? ['momentumBuffer'] : []), ...(g.centered ? ['gradAvg'] : [])];
    return this.planByStep(
      g,
      params,
      wanted,
      (p, s) => {
        const missing = wanted.filter((name) => !(s?.[name] instanceof Float32Array));
        return missing.length ? { step: 0, ...s, ...zeros(p, missing) } : undefined;
      },
      (_, site) =>
        planRmsprop(
          site.datas(), site.grads(), site.buffers('squareAvg'), g.centered ? site.buffers('gradAvg') : null,
          g.momentum > 0 ? site.buffers('momentumBuffer') : null, withOptions(g, { gradScale }), site.cache,
        ),
    );
  }
}
