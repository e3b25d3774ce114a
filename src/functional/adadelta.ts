import { checkOptions, type CommonOptions, commonScalars } from './common-options';
import { checkStreams } from './stream-check';
import { planKernelCall, type PlannedUpdate } from './planned-update';
import type { StreamCache } from '../backend/types';
import { checkNumber } from './validate';

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
): PlannedUpdate {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  const rho = checkNumber('rho', options.rho, { min: 0, max: 1 });
  const eps = checkNumber('eps', options.eps, { min: 0 });
  const [param, grad, squareAvg, accDelta] = checkStreams([
    { name: 'params', list: params, written: true },
    { name: 'grads', list: grads, written: false },
    { name: 'squareAvgs', list: squareAvgs, written: true },
    { name: 'accDeltas', list: accDeltas, written: true },
  ], cache);
  return planKernelCall(
    'adadelta',
    { param, grad, squareAvg, accDelta },
    { gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, rho, oneMinusRho: 1 - rho, eps, lr },
    cache,
  );
}

export function adadelta(
  params: Float32Array[],
  grads: Float32Array[],
  squareAvgs: Float32Array[],
  accDeltas: Float32Array[],
  options: AdadeltaCallOptions,
): void {
  planAdadelta(params, grads, squareAvgs, accDeltas, options)();
}
