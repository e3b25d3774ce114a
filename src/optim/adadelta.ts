import { planAdadelta } from '../functional/adadelta';
import { checkNumber } from '../functional/validate';
import { checkCommon } from './adam';
import type { Run } from '../functional/plan';
import { Optimizer, withOptions, type ParamGroup, type Parameter } from './optimizer';
import { zeros } from './state';

export interface AdadeltaOptions {
  lr: number;
  rho: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/** Adadelta (Zeiler, 2012), as torch.optim.Adadelta. */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  protected override readonly stateType = 'Adadelta';
  constructor(params: Parameter[] | ParamGroup[], options: Partial<AdadeltaOptions> = {}) {
    super(params, { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false }, options);
  }

  protected checkGroup(g: ParamGroup & AdadeltaOptions, where: string): void {
    checkCommon(where, g);
    checkNumber(`${where}.rho`, g.rho, { min: 0, max: 1 });
    checkNumber(`${where}.eps`, g.eps, { min: 0 });
  }

  protected planGroup(g: ParamGroup & AdadeltaOptions, params: Parameter[], gradScale: number): Run {
    return this.planByStep(
      g,
      params,
      ['squareAvg', 'accDelta'],
      (p, s) => (s === undefined ? { step: 0, ...zeros(p, ['squareAvg', 'accDelta']) } : undefined),
      (_, site) =>
        planAdadelta(site.datas(), site.grads(), site.buffers('squareAvg'), site.buffers('accDelta'), withOptions(g, { gradScale }), site.cache),
    );
  }
}
