// Adam and AdamW, as torch.optim.Adam / AdamW: the functional form (adam, adamw) and the classes.
// Per element, with g the gradient times gradScale (negated to maximize), t the step:
//   Adam:  g ← g + λ·θ                    AdamW: θ ← θ·(1 − lr·λ)
//   m ← β1·m + (1 − β1)·g
//   v ← β2·v + (1 − β2)·g²                (amsgrad: v̂ ← max(v̂, v), used in place of v)
//   θ ← θ − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε)
// Kernel: native/kernels/adam.cpp, specified by src/backend/js/adam.ts.
import { Decay, type StreamCache } from '../backend/types';
import { type AdamLikeCallOptions, checkAdamLike } from '../functional/adam-like';
import { checkOptions } from '../functional/common-options';
import type { PlannedUpdate } from '../functional/planned-update';
import { paramOutField, withParamsOut } from '../functional/outputs';
import { planKernelCall } from '../functional/planned-update';
import { splitState, type StateTensor } from '../functional/stored';
import { checkStateStreams, type StoredArgs } from '../functional/stored-layout';
import { checkBoolean, checkNumber } from '../functional/validate';
import { checkBetas, checkCommon } from './option-checks';
import { Optimizer, type ParamGroup, type Parameter } from './optimizer';
import { checkStoredOptions, formatFor, STORED_DEFAULTS, storedArgs, storedZeros, type StoredStateOptions } from './stored-state';

export interface AdamCallOptions extends AdamLikeCallOptions {
  /** Use the maximum of past second moments (needs maxExpAvgSqs). */
  amsgrad: boolean;
}

/**
 * Validates everything and computes the per-step scalars in double; returns the update, not
 * yet run. Optimizers plan every group before running any, so a rejected step changes nothing.
 */
export function planAdam(
  decoupled: boolean,
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: Float32Array[],
  expAvgSqs: Float32Array[],
  maxExpAvgSqs: Float32Array[] | null,
  options: AdamCallOptions,
  cache?: StreamCache,
  stored?: StoredArgs,
): PlannedUpdate {
  const { lr, weightDecay, gradScale, step, beta1, beta2, eps } = checkAdamLike(options);
  const amsgrad = checkBoolean('amsgrad', options.amsgrad);
  const { lists, fields } = checkStateStreams(
    withParamsOut(options, params, [
      { name: 'grads', list: grads, written: false },
      { name: 'expAvgs', list: expAvgs, written: true, stream: 'expAvg' },
      { name: 'expAvgSqs', list: expAvgSqs, written: true, stream: 'expAvgSq' },
      ...(amsgrad ? [{ name: 'maxExpAvgSqs', list: maxExpAvgSqs, written: true, stream: 'maxExpAvgSq' }] : []),
    ]),
    cache,
    stored,
  );
  const [param, grad, expAvg, expAvgSq, maxExpAvgSq] = lists;
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2 = 1 - beta2 ** step;
  return planKernelCall(
    'adam',
    Object.assign({ param, grad, expAvg, expAvgSq, maxExpAvgSq: amsgrad ? maxExpAvgSq : null }, fields, paramOutField(options, lists)),
    {
      gradScale,
      l2: decoupled ? 0 : weightDecay,
      paramDecay: decoupled ? 1 - lr * weightDecay : 1,
      oneMinusBeta1: 1 - beta1,
      beta2,
      oneMinusBeta2: 1 - beta2,
      stepSize: lr / biasCorrection1,
      bc2Sqrt: Math.sqrt(biasCorrection2),
      eps,
      decay: weightDecay === 0 ? Decay.None : decoupled ? Decay.Decoupled : Decay.L2,
      amsgrad,
    },
    cache,
  );
}

/** One Adam update (L2 weight decay) over many tensors, as torch.optim.Adam (state in options.stateDtype). */
export function adam(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: StateTensor[],
  expAvgSqs: StateTensor[],
  maxExpAvgSqs: StateTensor[] | null,
  options: AdamCallOptions,
): void {
  runAdam(false, params, grads, expAvgs, expAvgSqs, maxExpAvgSqs, options);
}

function runAdam(
  decoupled: boolean,
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: StateTensor[],
  expAvgSqs: StateTensor[],
  maxExpAvgSqs: StateTensor[] | null,
  options: AdamCallOptions,
): void {
  checkOptions(options);
  const { lists, stored } = splitState(options, { expAvgs, expAvgSqs, maxExpAvgSqs });
  const s = lists as unknown as Record<string, Float32Array[]>;
  planAdam(decoupled, params, grads, s.expAvgs, s.expAvgSqs, s.maxExpAvgSqs, options, undefined, stored)();
}

/** One AdamW update (decoupled weight decay) over many tensors, as torch.optim.AdamW. */
export function adamw(
  params: Float32Array[],
  grads: Float32Array[],
  expAvgs: StateTensor[],
  expAvgSqs: StateTensor[],
  maxExpAvgSqs: StateTensor[] | null,
  options: AdamCallOptions,
): void {
  runAdam(true, params, grads, expAvgs, expAvgSqs, maxExpAvgSqs, options);
}

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
