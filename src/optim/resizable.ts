// stepAsync refuses arrays on a resizable ArrayBuffer: one could shrink under the worker.
import type { StreamCache } from '../backend/types';
import { onResizableBuffer, typeTagOf } from '../functional/validate';
import type { Parameter, ParamState } from './types';

/**
 * The index of the first parameter of a call with an array on a resizable buffer, if any. Looks
 * at the call's validated lists (when this step used them) and at every parameter's arrays and
 * state buffers: the calls planned without the cache (SGD starting some momentum buffers, NAdam
 * at several μ products) use those.
 */
export function firstOnResizableBuffer(
  cache: StreamCache,
  params: readonly Parameter[],
  state: Map<Parameter, ParamState>,
): number | undefined {
  if (cache.pending && cache.lists !== undefined)
    for (const list of cache.lists) {
      const i = list.findIndex((a) => onResizableBuffer(a));
      if (i >= 0) return i;
    }
  const i = params.findIndex((p) => {
    const arrays = [p.data, p.grad, ...Object.values(state.get(p) ?? {})];
    return arrays.some((a) => typeTagOf(a) !== undefined && onResizableBuffer(a as Float32Array));
  });
  return i >= 0 ? i : undefined;
}
