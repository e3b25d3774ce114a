import { planAdam } from '../functional/adam';
import { checkBeta } from '../functional/common-options';
import { checkBoolean, checkNumber } from '../functional/validate';
import type { PlannedUpdate } from '../functional/planned-update';
import { Optimizer, type ParamGroup, type Parameter } from './optimizer';
import { checkStoredOptions, formatFor, STORED_DEFAULTS, storedArgs, storedZeros, type StoredStateOptions } from './stored-state';

export interface AdamOptions extends StoredStateOptions {
  /** Learning rate. Default 1e-3. */
  lr: number;
  /** Decay rates of the first and second moment averages. Default [0.9, 0.999]. */
  betas: [number, number];
  /** Added to the denominator. Default 1e-8. */
  eps: number;
  /** Adam: L2 penalty added to the gradient, default 0. AdamW: decoupled decay (parameters shrink by lr * weightDecay), default 1e-2. */
  weightDecay: number;
  /** Use the maximum of past second moments (AMSGrad). Default false. */
  amsgrad: boolean;
  /** Ascend instead of descend. Default false. */
  maximize: boolean;
}

const ADAM_DEFAULTS: AdamOptions = {
  lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...STORED_DEFAULTS,
};

export function checkBetas(where: string, betas: unknown): [number, number] {
  if (!Array.isArray(betas) || betas.length !== 2) throw new TypeError(`${where}.betas must be [beta1, beta2]`);
  checkBeta(`${where}.betas[0]`, betas[0]);
  checkBeta(`${where}.betas[1]`, betas[1]);
  return betas as [number, number];
}

/** lr, weightDecay, maximize: checked for every optimizer's groups. */
export function checkCommon(where: string, g: { lr: unknown; weightDecay?: unknown; maximize?: unknown }): void {
  checkNumber(`${where}.lr`, g.lr, { min: 0 });
  if (g.weightDecay !== undefined) checkNumber(`${where}.weightDecay`, g.weightDecay, { min: 0 });
  if (g.maximize !== undefined) checkBoolean(`${where}.maximize`, g.maximize);
}

abstract class AdamFamily extends Optimizer<AdamOptions> {
  /** @internal */
  protected abstract readonly decoupled: boolean;

  /** @internal */
  protected checkGroup(g: ParamGroup & AdamOptions, where: string): void {
    checkCommon(where, g);
    checkBetas(where, g.betas);
    checkNumber(`${where}.eps`, g.eps, { min: 0 });
    checkBoolean(`${where}.amsgrad`, g.amsgrad);
    checkStoredOptions(where, g);
  }

  /** @internal */
  protected planGroup(g: ParamGroup & AdamOptions, params: Parameter[], gradScale: number): PlannedUpdate {
    const buffers = g.amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq'];
    return this.planByStep(
      g,
      params,
      buffers,
      (p, s) => {
        if (s === undefined) return { step: 0, ...storedZeros(p, buffers, formatFor(g, p)) };
        // amsgrad switched on mid-run: its maximum starts from zero, as in torch
        if (g.amsgrad && s.maxExpAvgSq === undefined) return { ...s, ...storedZeros(p, ['maxExpAvgSq'], formatFor(g, p)) };
        return undefined;
      },
      (step, call, format) =>
        planAdam(
          this.decoupled, call.datas(), call.grads(), call.buffers('expAvg'), call.buffers('expAvgSq'),
          g.amsgrad ? call.buffers('maxExpAvgSq') : null,
          {
            step, lr: g.lr, beta1: g.betas[0], beta2: g.betas[1], eps: g.eps, weightDecay: g.weightDecay,
            amsgrad: g.amsgrad, maximize: g.maximize, gradScale,
          },
          call.cache,
          storedArgs(format, call, { expAvgs: 'expAvg', expAvgSqs: 'expAvgSq', ...(g.amsgrad ? { maxExpAvgSqs: 'maxExpAvgSq' } : {}) }),
        ),
    );
  }
}

/** Adam (Kingma & Ba, 2015) with L2 weight decay, as torch.optim.Adam. */
export class Adam extends AdamFamily {
  protected override readonly stateType = 'Adam';
  /** @internal */
  protected readonly decoupled = false;
  constructor(params: Parameter[] | ParamGroup[], options: Partial<AdamOptions> = {}) {
    super(params, { ...ADAM_DEFAULTS }, options);
  }
}

/** AdamW (Loshchilov & Hutter, 2019): decoupled weight decay, as torch.optim.AdamW. */
export class AdamW extends AdamFamily {
  protected override readonly stateType = 'AdamW';
  /** @internal */
  protected readonly decoupled = true;
  constructor(params: Parameter[] | ParamGroup[], options: Partial<AdamOptions> = {}) {
    super(params, { ...ADAM_DEFAULTS, weightDecay: 1e-2 }, options);
  }
}
