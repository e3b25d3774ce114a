// Adagrad (Duchi et al., 2011), as torch.optim.Adagrad: the functional form (adagrad) and the
// class. Per element, with g the gradient times gradScale (negated to maximize), t the step:
//   g ← g + λ·θ
//   s ← s + g²                            (s starts at initialAccumulatorValue)
//   θ ← θ − lr/(1 + (t − 1)·lrDecay) · g / (√s + ε)
// Kernel: native/kernels/adagrad.cpp, specified by src/backend/js/adagrad.ts.
import type { StreamCache } from '../backend/types';
import { checkOptions, checkStep, type CommonOptions, commonScalars } from '../functional/common-options';
import { paramOutField, withParamsOut } from '../functional/outputs';
import { planKernelCall, type PlannedUpdate } from '../functional/planned-update';
import { splitState, type StateTensor } from '../functional/stored';
import { checkStateStreams, type StoredArgs } from '../functional/stored-layout';
import { checkNumber } from '../functional/validate';
import { checkCommon, groupOptionsWith } from './option-checks';
import { Optimizer, type ParamGroup, type Parameter } from './optimizer';
import { checkStoredOptions, formatFor, STORED_DEFAULTS, storedArgs, storedZeros, type StoredStateOptions } from './stored-state';

export interface AdagradCallOptions extends CommonOptions {
  /** 1-based number of this update (the lr decay uses it). */
  step: number;
  /** The lr at step t is lr / (1 + (t - 1) * lrDecay). */
  lrDecay: number;
  /** Added to the denominator. */
  eps: number;
}

/** Adagrad over many tensors, as torch.optim.Adagrad (stateSums start at initialAccumulatorValue). */
export function planAdagrad(
  params: Float32Array[], grads: Float32Array[], stateSums: Float32Array[], options: AdagradCallOptions, cache?: StreamCache, stored?: StoredArgs,
): PlannedUpdate {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  const step = checkStep(options.step);
  const lrDecay = checkNumber('lrDecay', options.lrDecay, { min: 0 });
  const eps = checkNumber('eps', options.eps, { min: 0 });
  const { lists, fields } = checkStateStreams(withParamsOut(options, params, [
    { name: 'grads', list: grads, written: false },
    { name: 'stateSums', list: stateSums, written: true, stream: 'sum' },
  ]), cache, stored);
  const [param, grad, sum] = lists;
  const clr = lr / (1 + (step - 1) * lrDecay);
  return planKernelCall('adagrad', Object.assign({ param, grad, sum }, fields, paramOutField(options, lists)), { gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, clr, eps }, cache);
}

/** One Adagrad update over many tensors (state in options.stateDtype). */
export function adagrad(params: Float32Array[], grads: Float32Array[], stateSums: StateTensor[], options: AdagradCallOptions): void {
  checkOptions(options);
  const { lists, stored } = splitState(options, { stateSums });
  planAdagrad(params, grads, lists.stateSums as Float32Array[], options, undefined, stored)();
}

export interface AdagradOptions extends StoredStateOptions {
  /** Learning rate. Default 1e-2. */
  lr: number;
  /** The lr at step t is lr / (1 + (t - 1) * lrDecay). Default 0. */
  lrDecay: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
  /** Starting value of the sum of squared gradients. Default 0. */
  initialAccumulatorValue: number;
  /** Added to the denominator. Default 1e-10. */
  eps: number;
  /** Ascend instead of descend. Default false. */
  maximize: boolean;
}

/** Adagrad (Duchi et al., 2011), as torch.optim.Adagrad. */
export class Adagrad extends Optimizer<AdagradOptions> {
  protected override readonly stateType = 'Adagrad';
  constructor(params: Parameter[] | ParamGroup[], options: Partial<AdagradOptions> = {}) {
    super(params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, ...STORED_DEFAULTS }, options);
  }

  /** @internal */
  protected checkGroup(g: ParamGroup & AdagradOptions, where: string): void {
    checkCommon(where, g);
    checkNumber(`${where}.lrDecay`, g.lrDecay, { min: 0 });
    checkNumber(`${where}.initialAccumulatorValue`, g.initialAccumulatorValue, { min: 0 });
    checkNumber(`${where}.eps`, g.eps, { min: 0 });
    checkStoredOptions(where, g);
  }

  /** @internal */
  protected planGroup(g: ParamGroup & AdagradOptions, params: Parameter[], gradScale: number): PlannedUpdate {
    return this.planByStep(
      g,
      params,
      ['sum'],
      (p, s) => (s === undefined ? { step: 0, ...storedZeros(p, ['sum'], formatFor(g, p), g.initialAccumulatorValue) } : undefined),
      (step, call, format) =>
        planAdagrad(
          call.datas(), call.grads(), call.buffers('sum'), groupOptionsWith(g, { step, gradScale }), call.cache,
          storedArgs(format, call, { stateSums: 'sum' }),
        ),
    );
  }
}
