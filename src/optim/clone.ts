// Copies that no later change to the original reaches (options, state dicts), and freezing.
import type { ParamState } from './types';

/** A shallow copy with array values copied too, leaving out undefined values (they mean "default"). */
export function cloneEntries(object: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(object)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, cloneValue(v)]),
  );
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A copy that no later change to `value` reaches: typed arrays, arrays and plain objects all the way down. */
export function cloneValue(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return (value as Float32Array).slice();
  if (Array.isArray(value)) return value.map(cloneValue);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = cloneValue(value[key]);
    return out;
  }
  return value;
}

/** One parameter's state with its buffers shared, not copied (zeroCopyStateDict). */
export const shallowState = (s: ParamState): ParamState => ({ ...s });

