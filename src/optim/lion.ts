// Lion (Chen et al. 2023, Algorithm 1): the functional form (lion) and the class. Per element,
// with g the gradient times gradScale (negated to maximize):
//   θ ← θ·(1 − lr·λ)
//   θ ← θ − lr · sign(β1·m + (1 − β1)·g)
//   m ← β2·m + (1 − β2)·g
// Kernel: native/kernels/lion.cpp, specified by src/backend/js/lion.ts.
import type { StreamCache } from '../backend/types';
import { checkBeta, checkOptions, type CommonOptions, commonScalars } from '../functional/common-options';
import { paramOutField, withParamsOut } from '../functional/outputs';
import { planKernelCall, type PlannedUpdate } from '../functional/planned-update';
import { splitState, type StateTensor } from '../functional/stored';
import { checkStateStreams, type StoredArgs } from '../functional/stored-layout';
import { checkBetas, checkCommon, groupOptionsWith } from './option-checks';
import { Optimizer, type ParamGroup, type Parameter } from './optimizer';
import { checkStoredOptions, formatFor, STORED_DEFAULTS, storedArgs, storedZeros, type StoredStateOptions } from './stored-state';

export interface LionCallOptions extends CommonOptions {
  /** Interpolation between momentum and gradient for the update. */
  beta1: number;
  /** Decay of the momentum. */
  beta2: number;
}

/** Lion (Chen et al. 2023, Algorithm 1) over many tensors: sign of the interpolated momentum, decoupled decay. */
export function planLion(
  params: Float32Array[], grads: Float32Array[], expAvgs: Float32Array[], options: LionCallOptions, cache?: StreamCache, stored?: StoredArgs,
): PlannedUpdate {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  const beta1 = checkBeta('beta1', options.beta1);
  const beta2 = checkBeta('beta2', options.beta2);
  const { lists, fields } = checkStateStreams(withParamsOut(options, params, [
    { name: 'grads', list: grads, written: false },
    { name: 'expAvgs', list: expAvgs, written: true, stream: 'expAvg' },
  ]), cache, stored);
  const [param, grad, expAvg] = lists;
  return planKernelCall(
    'lion',
    Object.assign({ param, grad, expAvg }, fields, paramOutField(options, lists)),
    {
      gradScale, paramDecay: 1 - lr * weightDecay, lr, beta1, oneMinusBeta1: 1 - beta1, beta2,
      oneMinusBeta2: 1 - beta2,
    },
    cache,
  );
}

/** One Lion update over many tensors (state in options.stateDtype). */
export function lion(params: Float32Array[], grads: Float32Array[], expAvgs: StateTensor[], options: LionCallOptions): void {
  checkOptions(options);
  const { lists, stored } = splitState(options, { expAvgs });
  planLion(params, grads, lists.expAvgs as Float32Array[], options, undefined, stored)();
}

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
