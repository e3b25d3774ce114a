import { planLion } from '../functional/lion';
import { checkBetas, checkCommon } from './adam';
import type { Run } from '../functional/plan';
import { Optimizer, withOptions, type ParamGroup, type Parameter } from './optimizer';
import { zeros } from './state';

export interface LionOptions {
  lr: number;
  betas: [number, number];
  weightDecay: number;
  maximize: boolean;
}

/** Lion (Chen et al., 2023): sign of an interpolated momentum, decoupled weight decay. */
export class Lion extends Optimizer<LionOptions> {
  protected override readonly stateType = 'Lion';
  constructor(params: Parameter[] | ParamGroup[], options: Partial<LionOptions> = {}) {
    super(params, { lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0, maximize: false }, options);
  }

  protected checkGroup(g: ParamGroup & LionOptions, where: string): void {
    checkCommon(where, g);
    checkBetas(where, g.betas);
  }

  protected planGroup(g: ParamGroup & LionOptions, params: Parameter[], gradScale: number): Run {
    return this.planByStep(
      g,
      params,
      ['expAvg'],
      (p, s) => (s === undefined ? { step: 0, ...zeros(p, ['expAvg']) } : undefined),
      (_, site) =>
        planLion(site.datas(), site.grads(), site.buffers('expAvg'), withOptions(g, { beta1: g.betas[0], beta2: g.betas[1], gradScale }), site.cache),
    );
  }
}
