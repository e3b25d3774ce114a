// Argument checks shared by every public entry point. They run before any memory is touched,
// throw TypeError (wrong kind of value) or RangeError (right kind, wrong value) naming the
// argument, and so leave every array unchanged when a call is rejected.

import {
  isDetached, isFloat32Array, lengthGetterIntact, onChangeableBuffer, onResizableBuffer, plainView, privateView, tensorBuffer, tensorByteLength,
  tensorByteOffset, tensorLength, tensorSlice, type TensorType, typedSlice, typeTagOf,
} from '../backend/engine';
import { TensorRangeError, type TensorRef, TensorTypeError } from './tensor-error';

// Engine intrinsics are re-exported for the layers above, which check arguments with them.
export { isFloat32Array, lengthGetterIntact, onChangeableBuffer, onResizableBuffer, privateView, tensorLength, tensorSlice, typedSlice, typeTagOf };
export type { TensorType };

/** What a number option must be; one rule type for every layer's checks. */
export interface NumberRule {
  min?: number;
  max?: number;
  /** min itself is not allowed */
  minExclusive?: boolean;
  /** max itself is not allowed */
  maxExclusive?: boolean;
  /** An integer; 'safe': one a double holds exactly (Number.isSafeInteger). */
  integer?: boolean | 'safe';
}

/** The rule in words: 'a finite number >= 0 and < 1', 'an integer >= 1'. */
export function describeRule(rule: NumberRule): string {
  const parts: string[] = [];
  if (rule.min !== undefined) parts.push(`${rule.minExclusive ? '>' : '>='} ${rule.min}`);
  if (rule.max !== undefined) parts.push(`${rule.maxExclusive ? '<' : '<='} ${rule.max}`);
  return `${rule.integer ? 'an integer' : 'a finite number'}${parts.length ? ' ' + parts.join(' and ') : ''}`;
}

/** Whether a number follows the rule: finite, an integer if asked, within the bounds. */
export function meetsRule(value: number, rule: NumberRule): boolean {
  return (
    Number.isFinite(value) &&
    (!rule.integer || (rule.integer === 'safe' ? Number.isSafeInteger(value) : Number.isInteger(value))) &&
    (rule.min === undefined || (rule.minExclusive ? value > rule.min : value >= rule.min)) &&
    (rule.max === undefined || (rule.maxExclusive ? value < rule.max : value <= rule.max))
  );
}

export function checkNumber(name: string, value: unknown, rule: NumberRule = {}): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!meetsRule(value, rule)) throw new RangeError(`${name} must be ${describeRule(rule)}, got ${value}`);
  return value;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${typeof value}`);
  return value;
}

/**
 * A list of Float32Arrays; with `like`, each must have the same length as its partner. Returns
 * a copy of the list, read once: a list whose elements are getters (or a Proxy) cannot show
 * the checks one array and the kernel another.
 */
export function checkTensorList(
  name: string,
  list: unknown,
  like?: { name: string; list: Float32Array[] },
  type: TensorType = 'Float32Array',
  blockSize?: number,
): Float32Array[] {
  if (!Array.isArray(list)) throw new TypeError(`${name} must be an array of ${type}`);
  const count = list.length;
  const copy = new Array<Float32Array>(count);
  for (let i = 0; i < count; i++) {
    // Stored state (Uint16Array, Uint8Array) goes through the same checks, typed as the float lists.
    const t = list[i] as Float32Array;
    if (typeTagOf(t) !== type) throw new TensorTypeError(name, i, [`must be a ${type}`]);
    if (isDetached(t)) throw new TensorTypeError(name, i, ['has a detached buffer']);
    copy[i] = plainView(t);
  }
  if (like !== undefined) {
    if (count !== like.list.length)
      throw new RangeError(`${name} has ${count} tensors, ${like.name} has ${like.list.length}`);
    for (let i = 0; i < count; i++) {
      const n = tensorLength(copy[i]), m = tensorLength(like.list[i]);
      const partner = { argument: like.name, index: i };
      // An int8 state's absmax list: one scale per block of its tensor.
      if (blockSize !== undefined && n !== Math.ceil(m / blockSize))
        throw new TensorRangeError(name, i, [
          `has length ${n}, `, partner, ` (length ${m}) has ${Math.ceil(m / blockSize)} blocks of ${blockSize}`,
        ]);
      if (blockSize === undefined && n !== m) throw new TensorRangeError(name, i, [`has length ${n}, `, partner, ` has length ${m}`]);
    }
  }
  return copy;
}

interface Span {
  start: number;
  end: number;
  tensor: TensorRef;
  writable: boolean;
}

/**
 * Rejects memory shared between arrays when at least one of them is written: an update that
 * reads what another tensor's update just wrote would silently corrupt training. Arrays that
 * are only read (gradients) may alias each other. A list's `skip` leaves some of its arrays out
 * (an output that is its param's own memory: the same array, updated in place).
 */
export function checkNoOverlap(lists: { name: string; list: Float32Array[]; writable: boolean; skip?: (i: number) => boolean }[]): void {
  const byBuffer = new Map<ArrayBufferLike, Span[]>();
  let shared = false;
  for (const { name, list, writable, skip } of lists) {
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      if (tensorLength(a) === 0 || skip?.(i)) continue;
      const start = tensorByteOffset(a);
      const span = { start, end: start + tensorByteLength(a), tensor: { argument: name, index: i }, writable };
      const buffer = tensorBuffer(a);
      const spans = byBuffer.get(buffer);
      if (spans === undefined) byBuffer.set(buffer, [span]);
      else {
        spans.push(span);
        shared = true;
      }
    }
  }
  if (!shared) return;
  for (const spans of byBuffer.values()) {
    if (spans.length < 2) continue;
    spans.sort((a, b) => a.start - b.start);
    // Sweep in address order, remembering the span reaching furthest and the furthest writable one.
    let reach = spans[0];
    let writableReach: Span | null = spans[0].writable ? spans[0] : null;
    for (let k = 1; k < spans.length; k++) {
      const s = spans[k];
      const hit = s.writable ? (s.start < reach.end ? reach : null) : writableReach && s.start < writableReach.end ? writableReach : null;
      if (hit) throw new TensorRangeError(s.tensor.argument, s.tensor.index, ['overlaps ', hit.tensor, ' in memory; the update would corrupt one of them']);
      if (s.end > reach.end) reach = s;
      if (s.writable && (writableReach === null || s.end > writableReach.end)) writableReach = s;
    }
  }
}

/** Whether two arrays are the very same memory: same buffer, offset and length. */
export const sameMemory = (a: Float32Array, b: Float32Array): boolean =>
  tensorBuffer(a) === tensorBuffer(b) && tensorByteOffset(a) === tensorByteOffset(b) && tensorLength(a) === tensorLength(b);

/**
 * The known name a misspelt `key` most likely meant, or undefined: the same name in snake_case
 * or another letter case (PyTorch habits: `weight_decay`, `T_max`), else the closest one within
 * a typo's reach (one edit for names of up to 4 letters, two for longer ones; a swap of two
 * neighbouring letters counts as one edit). Every "did you mean" in the package comes from here.
 */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  const wanted = key.replace(/_([a-z0-9])/gi, (_, c: string) => c.toUpperCase()).toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const d = editDistance(wanted, name.toLowerCase(), 2);
    if (d === 0) return name;
    if (d <= (name.length <= 4 ? 1 : 2) && d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal-string-alignment distance (Levenshtein plus adjacent swaps), capped at limit + 1. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2] + 1);
      current.push(d);
    }
    before = previous;
    previous = current;
  }
  return Math.min(previous[b.length], limit + 1);
}
