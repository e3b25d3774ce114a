import { planAdagrad } from '../functional/adagrad';
import { checkNumber } from '../functional/validate';
import { checkCommon } from './adam';
import type { Run } from '../functional/plan';
import { Optimizer, withOptions, type ParamGroup, type Parameter } from './optimizer';
import { checkStoredOptions, formatFor, STORED_DEFAULTS, storedArgs, storedZeros, type StoredStateOptions } from './stored-state';

export interface AdagradOptions extends StoredStateOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

/** Adagrad (Duchi et al., 2011), as torch.optim.Adagrad. */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Parameter[] | ParamGroup[], options: Partial<AdagradOptions> = {}) {
    super(params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, ...STORED_DEFAULTS }, options);
  }

  protected checkGroup(g: ParamGroup & AdagradOptions, where: string): void {
    checkCommon(where, g);
    checkNumber(`${where}.lrDecay`, g.lrDecay, { min: 0 });
    checkNumber(`${where}.initialAccumulatorValue`, g.initialAccumulatorValue, { min: 0 });
    checkNumber(`${where}.eps`, g.eps, { min: 0 });
    checkStoredOptions(where, g);
  }

  protected planGroup(g: ParamGroup & AdagradOptions, params: Parameter[], gradScale: number): Run {
    return this.planByStep(
      g,
      params,
      ['sum'],
      (p, s) => (s === undefined ? { step: 0, ...storedZeros(p, ['sum'], formatFor(g, p), g.initialAccumulatorValue) } : undefined),
      (step, site, format) =>
        planAdagrad(
          site.datas(), site.grads(), site.buffers('sum'), withOptions(g, { step, gradScale }), site.cache,
          storedArgs(format, site, { stateSums: 'sum' }),
        ),
    );
  }
}
