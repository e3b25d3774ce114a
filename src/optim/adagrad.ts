import { planAdagrad } from '../functional/adagrad';
import { checkNumber } from '../functional/validate';
import { checkCommon } from './adam';
import type { Run } from '../functional/plan';
import { Optimizer, withOptions, type ParamGroup, type Parameter } from './optimizer';
import { zeros } from './state';

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

/** Adagrad (Duchi et al., 2011), as torch.optim.Adagrad. */
export class Adagrad extends Optimizer<AdagradOptions> {
  protected override readonly stateType = 'Adagrad';
  constructor(params: Parameter[] | ParamGroup[], options: Partial<AdagradOptions> = {}) {
    super(params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }, options);
  }

  protected checkGroup(g: ParamGroup & AdagradOptions, where: string): void {
    checkCommon(where, g);
    checkNumber(`${where}.lrDecay`, g.lrDecay, { min: 0 });
    checkNumber(`${where}.initialAccumulatorValue`, g.initialAccumulatorValue, { min: 0 });
    checkNumber(`${where}.eps`, g.eps, { min: 0 });
  }

  protected planGroup(g: ParamGroup & AdagradOptions, params: Parameter[], gradScale: number): Run {
    return this.planByStep(
      g,
      params,
      ['sum'],
      (p, s) => (s === undefined ? { step: 0, ...zeros(p, ['sum'], g.initialAccumulatorValue) } : undefined),
      (step, site) => planAdagrad(site.datas(), site.grads(), site.buffers('sum'), withOptions(g, { step, gradScale }), site.cache),
    );
  }
}
