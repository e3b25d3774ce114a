import { planLion } from '../functional/lion';
import { checkBetas, checkCommon } from './adam';
import type { PlannedUpdate } from '../functional/planned-update';
import { groupOptionsWith } from './option-checks';
import { Optimizer, type ParamGroup, type Parameter } from './optimizer';
import { checkStoredOptions, formatFor, STORED_DEFAULTS, storedArgs, storedZeros, type StoredStateOptions } from './stored-state';

export interface LionOptions extends StoredStateOptions {
  /** Learning rate (typically 3-10x smaller than AdamW's). Default 1e-4. */
  lr: number;
  /** Interpolation for the update (beta1) and momentum decay (beta2). Default [0.9, 0.99]. */
  betas: [number, number];
  /** Decoupled weight decay: parameters shrink by lr * weightDecay each step. Default 0. */
  weightDecay: number;
  /** Ascend instead of descend. Default false. */
  maximize: boolean;
}

/** Lion (Chen et al., 2023): sign of an interpolated momentum, decoupled weight decay. */
export class Lion extends Optimizer<LionOptions> {
  protected override readonly stateType = 'Lion';
  constructor(params: Parameter[] | ParamGroup[], options: Partial<LionOptions> = {}) {
    super(params, { lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0, maximize: false, ...STORED_DEFAULTS }, options);
  }

  /** @internal */
  protected checkGroup(g: ParamGroup & LionOptions, where: string): void {
    checkCommon(where, g);
    checkBetas(where, g.betas);
    checkStoredOptions(where, g);
  }

  /** @internal */
  protected planGroup(g: ParamGroup & LionOptions, params: Parameter[], gradScale: number): PlannedUpdate {
    return this.planByStep(
      g,
      params,
      ['expAvg'],
      (p, s) => (s === undefined ? { step: 0, ...storedZeros(p, ['expAvg'], formatFor(g, p)) } : undefined),
      (_, call, format) =>
        planLion(
          call.datas(), call.grads(), call.buffers('expAvg'), groupOptionsWith(g, { beta1: g.betas[0], beta2: g.betas[1], gradScale }),
          call.cache, storedArgs(format, call, { expAvgs: 'expAvg' }),
        ),
    );
  }
}
