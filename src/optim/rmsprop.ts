// RMSprop (Hinton), optionally centered and with momentum, as torch.optim.RMSprop: the functional
// form (rmsprop) and the class. Per element, with g the gradient times gradScale (negated to
// maximize):
//   g ← g + λ·θ
//   v ← α·v + (1 − α)·g²
//   d = √v + ε                            (centered: ḡ ← α·ḡ + (1 − α)·g, d = √(v − ḡ²) + ε)
//   θ ← θ − lr·g/d                        (momentum μ: b ← μ·b + g/d, θ ← θ − lr·b)
// Kernel: native/kernels/rmsprop.cpp, specified by src/backend/js/rmsprop.ts.
import type { StreamCache } from '../backend/types';
import { checkOptions, type CommonOptions, commonScalars } from '../functional/common-options';
import { paramOutField, withParamsOut } from '../functional/outputs';
import { planKernelCall, type PlannedUpdate } from '../functional/planned-update';
import { splitState, type StateTensor } from '../functional/stored';
import { checkStateStreams, type StoredArgs } from '../functional/stored-layout';
import { checkBoolean, checkNumber } from '../functional/validate';
import { checkCommon, groupOptionsWith } from './option-checks';
import { Optimizer, type ParamGroup, type Parameter } from './optimizer';
import { checkStoredOptions, formatFor, formatOf, STORED_DEFAULTS, storedArgs, storedZeros, type StoredStateOptions } from './stored-state';

export interface RmspropCallOptions extends CommonOptions {
  /** Smoothing constant of the squared-gradient average. */
  alpha: number;
  /** Added to the denominator. */
  eps: number;
  /** Momentum factor; 0 for none. */
  momentum: number;
  /** Normalize by the variance (needs gradAvgs). */
  centered: boolean;
}

/** RMSprop over many tensors, as torch.optim.RMSprop. gradAvgs only when centered, momentumBuffers only with momentum. */
export function planRmsprop(
  params: Float32Array[],
  grads: Float32Array[],
  squareAvgs: Float32Array[],
  gradAvgs: Float32Array[] | null,
  momentumBuffers: Float32Array[] | null,
  options: RmspropCallOptions,
  cache?: StreamCache,
  stored?: StoredArgs,
): PlannedUpdate {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  const alpha = checkNumber('alpha', options.alpha, { min: 0 });
  const eps = checkNumber('eps', options.eps, { min: 0 });
  const momentum = checkNumber('momentum', options.momentum, { min: 0 });
  const centered = checkBoolean('centered', options.centered);
  const { lists, fields } = checkStateStreams(withParamsOut(options, params, [
    { name: 'grads', list: grads, written: false },
    { name: 'squareAvgs', list: squareAvgs, written: true, stream: 'squareAvg' },
    ...(centered ? [{ name: 'gradAvgs', list: gradAvgs, written: true, stream: 'gradAvg' }] : []),
    ...(momentum > 0 ? [{ name: 'momentumBuffers', list: momentumBuffers, written: true, stream: 'momentumBuffer' }] : []),
  ]), cache, stored);
  const [param, grad, squareAvg] = lists;
  const gradAvg = centered ? lists[3] : null;
  const momentumBuffer = momentum > 0 ? lists[centered ? 4 : 3] : null;
  return planKernelCall(
    'rmsprop',
    Object.assign({ param, grad, squareAvg, gradAvg, momentumBuffer }, fields, paramOutField(options, lists)),
    {
      gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, alpha, oneMinusAlpha: 1 - alpha, eps, lr,
      momentum, hasMomentum: momentum > 0, centered,
    },
    cache,
  );
}

/** One RMSprop update over many tensors (state in options.stateDtype). */
export function rmsprop(
  params: Float32Array[],
  grads: Float32Array[],
  squareAvgs: StateTensor[],
  gradAvgs: StateTensor[] | null,
  momentumBuffers: StateTensor[] | null,
  options: RmspropCallOptions,
): void {
  checkOptions(options);
  const { lists, stored } = splitState(options, { squareAvgs, gradAvgs, momentumBuffers });
  const s = lists as unknown as Record<string, Float32Array[]>;
  planRmsprop(params, grads, s.squareAvgs, s.gradAvgs, s.momentumBuffers, options, undefined, stored)();
}

export interface RmspropOptions extends StoredStateOptions {
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
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, ...STORED_DEFAULTS }, options);
  }

  /** @internal */
  protected checkGroup(g: ParamGroup & RmspropOptions, where: string): void {
    checkCommon(where, g);
    checkNumber(`${where}.alpha`, g.alpha, { min: 0 });
    checkNumber(`${where}.eps`, g.eps, { min: 0 });
    checkNumber(`${where}.momentum`, g.momentum, { min: 0 });
    checkBoolean(`${where}.centered`, g.centered);
    checkStoredOptions(where, g);
  }

  /** @internal */
  protected planGroup(g: ParamGroup & RmspropOptions, params: Parameter[], gradScale: number): PlannedUpdate {
    const wanted = ['squareAvg', ...(g.momentum > 0 ? ['momentumBuffer'] : []), ...(g.centered ? ['gradAvg'] : [])];
    return this.planByStep(
      g,
      params,
      wanted,
      (p, s) => {
        const missing = wanted.filter((name) => s?.[name] === undefined);
        // Buffers added mid-run (momentum or centered switched on) take the format of the others.
        return missing.length ? { step: 0, ...s, ...storedZeros(p, missing, s === undefined ? formatFor(g, p) : formatOf(s)) } : undefined;
      },
      (_, call, format) =>
        planRmsprop(
          call.datas(), call.grads(), call.buffers('squareAvg'), g.centered ? call.buffers('gradAvg') : null,
          g.momentum > 0 ? call.buffers('momentumBuffer') : null, groupOptionsWith(g, { gradScale }), call.cache,
          storedArgs(format, call, {
            squareAvgs: 'squareAvg', ...(g.centered ? { gradAvgs: 'gradAvg' } : {}), ...(g.momentum > 0 ? { momentumBuffers: 'momentumBuffer' } : {}),
          }),
        ),
    );
  }
}
