import { planLion } from '../functional/lion';
import { checkBetas, checkCommon } from './adam';
import type { Run } from '../functional/plan';
import { Optimizer, withOptions, type ParamGroup, type Parameter } from './optimizer';
import { checkStoredOptions, formatFor, STORED_DEFAULTS, storedArgs, storedZeros, type StoredStateOptions } from './stored-state';

export interface LionOptions extends StoredStateOptions {
  lr: number;
  betas: [number, number];
  weightDecay: number;
  maximize: boolean;
}

/** Lion (Chen et al., 2023): sign of an interpolated momentum, decoupled weight decay. */
export class Lion extends Optimizer<LionOptions> {
  constructor(params: Parameter[] | ParamGroup[], options: Partial<LionOptions> = {}) {
    super(params, { lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0, maximize: false, ...STORED_DEFAULTS }, options);
  }

  protected checkGroup(g: ParamGroup & LionOptions, where: string): void {
    checkCommon(where, g);
    checkBetas(where, g.betas);
    checkStoredOptions(where, g);
  }

  protected planGroup(g: ParamGroup & LionOptions, params: Parameter[], gradScale: number): Run {
    return this.planByStep(
      g,
      params,
      ['expAvg'],
      (p, s) => (s === undefined ? { step: 0, ...storedZeros(p, ['expAvg'], formatFor(g, p)) } : undefined),
      (_, site, format) =>
        planLion(
          site.datas(), site.grads(), site.buffers('expAvg'), withOptions(g, { beta1: g.betas[0], beta2: g.betas[1], gradScale }),
          site.cache, storedArgs(format, site, { expAvgs: 'expAvg' }),
        ),
    );
  }
}
