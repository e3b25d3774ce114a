// The options every functional optimizer takes (lr, weightDecay, maximize, gradScale, state
// storage) and their checks.
import type { StateDtype } from '../backend/state-format';
import type { ParamsOutOption } from './outputs';
import { checkBoolean, checkNumber } from './validate';

/** Options every optimizer shares. */
export interface CommonOptions extends ParamsOutOption {
  /** Learning rate (required). */
  lr: number;
  /** Weight decay, as the optimizer's option of that name (required; 0 for none). */
  weightDecay: number;
  /** Ascend instead of descend. Default false. */
  maximize?: boolean;
  /** Multiplies every gradient inside the update (e.g. a clipping coefficient); finite, >= 0. Default 1. */
  gradScale?: number;
  /**
   * How the state lists are stored: 'float32' (default), 'bfloat16' (Uint16Array words) or
   * 'int8' (Int8State: codes and per-block absmax). See README "Low-memory state".
   */
  stateDtype?: StateDtype;
  /** int8: elements per quantization block (256, 512, 1024, 2048 or 4096; default 2048). */
  blockSize?: number;
}

export function checkOptions(options: unknown): asserts options is Record<string, unknown> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
}

/** lr, weightDecay, and the signed gradient scale (negative when maximizing). */
export function commonScalars(o: CommonOptions): { lr: number; weightDecay: number; gradScale: number } {
  const lr = checkNumber('lr', o.lr, { min: 0 });
  const weightDecay = checkNumber('weightDecay', o.weightDecay, { min: 0 });
  const maximize = o.maximize === undefined ? false : checkBoolean('maximize', o.maximize);
  const gradScale = o.gradScale === undefined ? 1 : checkNumber('gradScale', o.gradScale, { min: 0 });
  return { lr, weightDecay, gradScale: maximize ? -gradScale : gradScale };
}

export const checkBeta = (name: string, value: unknown) => checkNumber(name, value, { min: 0, max: 1, maxExclusive: true });
export const checkStep = (value: unknown) => checkNumber('step', value, { min: 1, integer: true });
