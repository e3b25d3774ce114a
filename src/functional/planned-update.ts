// An update checked and ready, not yet run. Optimizers plan every group's update before running
// any, so a rejected step changes nothing.
import { getBackend } from '../backend';
import type { KernelScalars, KernelStreams, Kind, StreamCache } from '../backend/types';
import type { DeferredBookkeeping } from './bookkeeping';
import { verifyCache } from './stream-check';

/**
 * `update()` runs it now; `update(bookkeeping)` runs it as `bookkeeping` says (now, or off the
 * JS thread returning a promise) and leaves what it changes besides the tensors to it.
 */
export type PlannedUpdate = (bookkeeping?: DeferredBookkeeping) => void | Promise<void>;

/** One backend call of `kind` over checked streams (see checkStreams), planned. */
export function planKernelCall<K extends Kind>(
  kind: K,
  streams: KernelStreams[K],
  scalars: KernelScalars[K],
  cache?: StreamCache,
): PlannedUpdate {
  // Finite hyperparameters can still overflow in what is derived from them (1 - lr·wd, lr/bc1):
  // refuse here, before any group runs, rather than in the addon mid-step.
  for (const name in scalars) {
    const value = (scalars as Record<string, unknown>)[name];
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new RangeError(`the ${kind} update's ${name} is ${value}: the hyperparameters overflow`);
  }
  return (bookkeeping) => {
    // Unless the optimizer verified every group's cache after planning them all.
    if (cache?.pending) verifyCache(cache);
    return bookkeeping?.async
      ? getBackend().stepAsync(kind, streams, scalars, cache)
      : getBackend().step(kind, streams, scalars, cache);
  };
}
