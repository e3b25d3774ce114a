import { checkOptions, type CommonOptions, commonScalars } from './common-options';
import { checkStateStreams, type StoredArgs } from './stored-layout';
import { checkStreams } from './stream-check';
import { planKernelCall, type PlannedUpdate } from './planned-update';
import { addBookkeeping } from './bookkeeping';
import { runAll } from './step-runner';
import { splitState, type StateTensor } from './stored';
import type { StreamCache } from '../backend/types';
import { checkBoolean, checkNumber, tensorLength } from './validate';

export interface SgdCallOptions extends CommonOptions {
  /** Momentum factor; 0 for none (momentumBuffers are then ignored). */
  momentum: number;
  /** Dampening for momentum. */
  dampening: number;
  /** Nesterov momentum. */
  nesterov: boolean;
  /**
   * Stored state only (stateDtype 'bfloat16' or 'int8', where a buffer cannot be null): the
   * buffers are new, so this step starts them at the gradient, as torch's first step does.
   */
  firstStep?: boolean;
}

/**
 * SGD over many tensors, as torch.optim.SGD. A null momentum buffer starts at this step's
 * gradient (torch's first step); the new buffer is written into momentumBuffers.
 */
export function planSgd(
  params: Float32Array[],
  grads: Float32Array[],
  momentumBuffers: (Float32Array | null)[] | null,
  options: SgdCallOptions,
  cache?: StreamCache,
  stored?: StoredArgs,
): PlannedUpdate {
  checkOptions(options);
  const { lr, weightDecay, gradScale } = commonScalars(options);
  const momentum = checkNumber('momentum', options.momentum, { min: 0 });
  const dampening = checkNumber('dampening', options.dampening);
  const nesterov = checkBoolean('nesterov', options.nesterov);
  if (nesterov && (momentum <= 0 || dampening !== 0))
    throw new RangeError('nesterov requires momentum > 0 and dampening = 0');
  const scalars = {
    gradScale, weightDecay, hasWeightDecay: weightDecay !== 0, momentum, oneMinusDampening: 1 - dampening, lr,
    hasMomentum: momentum !== 0, nesterov, firstStep: false,
  };
  const lists = (buffers?: unknown) => [
    { name: 'params', list: params, written: true },
    { name: 'grads', list: grads, written: false },
    ...(buffers === undefined ? [] : [{ name: 'momentumBuffers', list: buffers, written: true }]),
  ];
  if (stored !== undefined && momentum !== 0) {
    const firstStep = options.firstStep === undefined ? false : checkBoolean('firstStep', options.firstStep);
    const checked = checkStateStreams(
      [...lists(), { name: 'momentumBuffers', list: momentumBuffers, written: true, stream: 'momentumBuffer' }],
      cache,
      stored,
    );
    const [param, grad, momentumBuffer] = checked.lists;
    const fields = checked.fields;
    return planKernelCall('sgd', Object.assign({ param, grad, momentumBuffer }, fields), Object.assign(scalars, { firstStep }), cache);
  }
  if (momentum === 0) {
    const [param, grad] = checkStreams(lists(), cache);
    return planKernelCall('sgd', { param, grad, momentumBuffer: null }, scalars, cache);
  }
  if (!Array.isArray(momentumBuffers) || !Array.isArray(params) || momentumBuffers.length !== params.length)
    throw new TypeError('momentumBuffers must be an array with one entry (Float32Array or null) per param');
  if (momentumBuffers.every((b) => b !== null)) {
    // The usual step: every buffer exists.
    const [param, grad, momentumBuffer] = checkStreams(lists(momentumBuffers), cache);
    return planKernelCall('sgd', { param, grad, momentumBuffer }, scalars, cache);
  }
  // Tensors starting a buffer (torch's first step: buf = g) and the others run as two calls.
  // Everything is checked once over the whole lists (fresh buffers standing in for the nulls),
  // so overlaps across the two calls are caught and errors carry the caller's indices.
  const [param, grad] = checkStreams(lists());
  const fresh = momentumBuffers.map((b, i) => (b === null ? new Float32Array(tensorLength(param[i])) : null));
  const [, , buffers] = checkStreams(lists(momentumBuffers.map((b, i) => b ?? fresh[i])));
  const calls = [false, true].map((first) => {
    const idx = param.map((_, i) => i).filter((i) => (fresh[i] !== null) === first);
    if (idx.length === 0) return () => undefined;
    const pick = (list: Float32Array[]) => idx.map((i) => list[i]);
    return planKernelCall('sgd', { param: pick(param), grad: pick(grad), momentumBuffer: pick(buffers) }, Object.assign({}, scalars, { firstStep: first }));
  });
  return (bookkeeping) =>
    addBookkeeping(runAll(calls, bookkeeping), () => fresh.forEach((b, i) => b !== null && (momentumBuffers[i] = b)), bookkeeping);
}

/**
 * One SGD update over many tensors. Float32 momentum buffers may be null (started at the
 * gradient, written back into the list); stored ones (options.stateDtype) must exist, with
 * options.firstStep saying whether they are new.
 */
export function sgd(
  params: Float32Array[],
  grads: Float32Array[],
  momentumBuffers: (StateTensor | null)[] | null,
  options: SgdCallOptions,
): void {
  checkOptions(options);
  const { lists, stored } = splitState(options, { momentumBuffers });
  planSgd(params, grads, lists.momentumBuffers as (Float32Array | null)[] | null, options, undefined, stored)();
}
