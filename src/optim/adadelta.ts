// Adadelta (Zeiler, 2012), as torch.optim.Adadelta: the functional form (adadelta) and the
// class. Per element, with g the gradient times gradScale (negated to maximize):
//   g ← g + λ·θ
//   v ← ρ·v + (1 − ρ)·g²
//   Δ = √(u + ε) / √(v + ε) · g
//   u ← ρ·u + (1 − ρ)·Δ²
//   θ ← θ − lr·Δ
// Kernel: native/kernels/adadelta.cpp, specified by src/backend/js/adadelta.ts.
import type { StreamCache } from '../backend/types';
import { checkOptions, type CommonOptions, commonScalars } from '../functional/common-options';
import { paramOutField, withParamsOut } from '../functional/outputs';
import { planKernelCall, type PlannedUpdate } from '../functional/planned-update';
import { splitState, type StateTensor } from '../functional/stored';
import { checkStateStreams, type StoredArgs } from '../functional/stored-layout';
import { checkNumber } from '../functional/validate';
import { checkCommon, groupOptionsWith } from './option-checks';
import { Optimizer, type ParamGroup, type Parameter } from './optimizer';
import { checkStoredOptions, formatFor, STORED_DEFAULTS, storedArgs, storedZeros, type StoredStateOptions } from './stored-state';

export interface AdadeltaCallOptions extends CommonOptions {
  /** Decay of the running averages. */
  rho: number;
  /** Added inside the square roots. */
  eps: number;
}

/** Adadelta over many tensors, as torch.optim.Adadelta. */
export function planAdadelta(
  params: Float32Array[],
  grads: Float32Array[],
  squareAvgs: Float32Array[],
  accDeltas: Float32Array[],
  options: AdadeltaCallOptions,
  cache?: StreamCache,
  stored?: StoredArgs,
): PlannedUpdate {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  const rho = checkNumber('rho', options.rho, { min: 0, max: 1 });
  const eps = checkNumber('eps', options.eps, { min: 0 });
  const { lists, fields } = checkStateStreams(withParamsOut(options, params, [
    { name: 'grads', list: grads, written: false },
    { name: 'squareAvgs', list: squareAvgs, written: true, stream: 'squareAvg' },
    { name: 'accDeltas', list: accDeltas, written: true, stream: 'accDelta' },
  ]), cache, stored);
  const [param, grad, squareAvg, accDelta] = lists;
  return planKernelCall(
    'adadelta',
    Object.assign({ param, grad, squareAvg, accDelta }, fields, paramOutField(options, lists)),
    { gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, rho, oneMinusRho: 1 - rho, eps, lr },
    cache,
  );
}

/** One Adadelta update over many tensors (state in options.stateDtype). */
export function adadelta(
  params: Float32Array[],
  grads: Float32Array[],
  squareAvgs: StateTensor[],
  accDeltas: StateTensor[],
  options: AdadeltaCallOptions,
): void {
  checkOptions(options);
  const { lists, stored } = splitState(options, { squareAvgs, accDeltas });
  planAdadelta(params, grads, lists.squareAvgs as Float32Array[], lists.accDeltas as Float32Array[], options, undefined, stored)();
}

export interface AdadeltaOptions extends StoredStateOptions {
  /** Scales the update. Default 1.0. */
  lr: number;
  /** Decay of the running averages. Default 0.9. */
  rho: number;
  /** Added inside the square roots. Default 1e-6. */
  eps: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay: number;
  /** Ascend instead of descend. Default false. */
  maximize: boolean;
}

/** Adadelta (Zeiler, 2012), as torch.optim.Adadelta. */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  protected override readonly stateType = 'Adadelta';
  constructor(params: Parameter[] | ParamGroup[], options: Partial<AdadeltaOptions> = {}) {
    super(params, { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false, ...STORED_DEFAULTS }, options);
  }

  /** @internal */
  protected checkGroup(g: ParamGroup & AdadeltaOptions, where: string): void {
    checkCommon(where, g);
    checkNumber(`${where}.rho`, g.rho, { min: 0, max: 1 });
    checkNumber(`${where}.eps`, g.eps, { min: 0 });
    checkStoredOptions(where, g);
  }

  /** @internal */
  protected planGroup(g: ParamGroup & AdadeltaOptions, params: Parameter[], gradScale: number): PlannedUpdate {
    return this.planByStep(
      g,
      params,
      ['squareAvg', 'accDelta'],
      (p, s) => (s === undefined ? { step: 0, ...storedZeros(p, ['squareAvg', 'accDelta'], formatFor(g, p)) } : undefined),
      (_, call, format) =>
        planAdadelta(
          call.datas(), call.grads(), call.buffers('squareAvg'), call.buffers('accDelta'), groupOptionsWith(g, { gradScale }), call.cache,
          storedArgs(format, call, { squareAvgs: 'squareAvg', accDeltas: 'accDelta' }),
        ),
    );
  }
}
