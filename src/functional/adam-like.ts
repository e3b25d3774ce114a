// What every Adam-like update (Adam, AdamW, Adamax, NAdam, RAdam, LAMB) checks the same way:
// the step count, the betas, eps, and params/grads plus two moment lists.
import type { StreamCache } from '../backend/types';
import { checkBeta, checkOptions, checkStep, type CommonOptions, commonScalars } from './common-options';
import { type ParamsOutOption, withParamsOut } from './outputs';
import { checkStateStreams, type StoredArgs } from './stored-layout';
import { checkNumber, type NumberRule } from './validate';

export interface AdamLikeCallOptions extends CommonOptions {
  /** 1-based number of this update (bias corrections use it). */
  step: number;
  /** Decay rate of the first moment average. */
  beta1: number;
  /** Decay rate of the second moment (Adamax: infinity norm) average. */
  beta2: number;
  /** Added to the denominator. */
  eps: number;
}

export function checkAdamLike(options: AdamLikeCallOptions, epsRule: NumberRule = { min: 0 }) {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  return {
    lr,
    weightDecay,
    gradScale,
    step: checkStep(options.step),
    beta1: checkBeta('beta1', options.beta1),
    beta2: checkBeta('beta2', options.beta2),
    eps: checkNumber('eps', options.eps, epsRule),
  };
}

/**
 * params, grads and the two moment lists (named as in the caller's signature, with the kernel's
 * stream name of each), checked; with `stored`, the moments in that stored form (checkStateStreams);
 * with options.paramsOut, the outputs last (withParamsOut).
 */
export function momentStreams(
  params: Float32Array[],
  grads: Float32Array[],
  first: [name: string, list: Float32Array[], stream: string],
  second: [name: string, list: Float32Array[], stream: string],
  cache?: StreamCache,
  stored?: StoredArgs,
  options: ParamsOutOption = {},
): { lists: Float32Array[][]; fields: object } {
  return checkStateStreams(
    withParamsOut(options, params, [
      { name: 'grads', list: grads, written: false },
      { name: first[0], list: first[1], written: true, stream: first[2] },
      { name: second[0], list: second[1], written: true, stream: second[2] },
    ]),
    cache,
    stored,
  );
}
