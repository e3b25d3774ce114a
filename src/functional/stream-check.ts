// The check of one backend call's tensor lists: every list against the params, no memory shared
// with a written list. With a stream cache (src/backend/stream-cache.ts), a training loop that
// hands in the very same lists step after step is checked once and then only for lengths.
import { lengthsHold } from '../backend/stream-cache';
import type { StreamCache } from '../backend/types';
import { checkNoOverlap, checkTensorList, onChangeableBuffer, privateView, sameMemory, tensorLength, type TensorType } from './validate';

export interface StreamArg {
  /** The argument's name in error messages, e.g. 'expAvgs'. */
  name: string;
  list: unknown;
  written: boolean;
  /** The tensors' type: Float32Array unless the state is stored (bfloat16 words, int8 codes). */
  type?: TensorType;
  /** An int8 absmax list: one value per block of this size of its tensor. */
  blockSize?: number;
  /** A state list: the kernel stream it feeds (with stored state, its type follows stateDtype). */
  stream?: string;
  /**
   * The list receives the new values of the first list (the params: paramOut, an out-of-place
   * step). Each of its arrays may be its param's own memory (in place), and share none with any
   * other array.
   */
  output?: boolean;
}

/**
 * True when the lists hold the very arrays the cache last validated. A list that is the same
 * object as last time was not changed by its owner (the optimizers' call sites build a new list
 * whenever its contents change), so its elements need no comparison. Lengths are left to
 * verifyCache, which runs once, as late as possible.
 */
function unchanged(cache: StreamCache, args: StreamArg[]): boolean {
  const lists = cache.originals, sources = cache.sources;
  if (lists === undefined || sources === undefined || lists.length !== args.length) return false;
  for (let k = 0; k < args.length; k++) {
    const list = args[k].list, seen = lists[k] as Float32Array[];
    if (list === sources[k]) continue;
    if (!Array.isArray(list) || list.length !== seen.length) return false;
    for (let i = 0; i < seen.length; i++) if (list[i] !== seen[i]) return false;
  }
  return true;
}

/**
 * Validates every list against the first (the params) and returns them unwrapped. With a
 * cache, lists identical to the last validated ones skip the checks and keep the backend's
 * handle (the native addon's unwrapped pointers); their lengths are verified before the call
 * runs (verifyCache), since a detached or shrunk buffer changes its views' lengths. The cache
 * holds private views of the arrays (privateView), so reading their lengths is one plain
 * property load each: user code cannot make a private view's `length` lie.
 */
export function checkStreams(args: StreamArg[], cache?: StreamCache): Float32Array[][] {
  if (cache === undefined) return validate(args);
  if (!unchanged(cache, args)) {
    const lists = validate(args);
    cache.sources = args.map((a) => a.list);
    cache.originals = lists;
    cache.lists = lists.map((l) => l.map(privateView));
    cache.resizable = lists.some((l) => l.some(onChangeableBuffer));
    cache.names = args.map((a) => a.name);
    cache.written = args.map((a) => a.written);
    cache.outputs = args.map((a) => a.output === true);
    cache.types = args.map((a) => a.type);
    cache.blockSizes = args.map((a) => a.blockSize);
    cache.lengths = lists.flatMap((l) => l.map(tensorLength));
    cache.elements = lists[0].reduce((sum, a) => sum + tensorLength(a), 0);
    cache.handle = undefined;
  }
  cache.pending = true;
  return cache.lists as Float32Array[][];
}

/**
 * Checks that every array of a cache still has the length it was validated with, and throws
 * the error a fresh validation gives if not (a detached buffer, a shrunk resizable one), so a
 * step is refused before anything runs. The optimizers run it after planning every group, and
 * hold their bookkeeping back to the end of the step; as user code can still run in between (a
 * replaced array iterator, say), the native backend checks once more right before it hands
 * the addon its pointers.
 */
export function verifyCache(cache: StreamCache): void {
  if (!lengthsHold(cache)) {
    cache.handle = undefined;
    const names = cache.names as string[], written = cache.written as boolean[];
    const types = cache.types ?? [], blockSizes = cache.blockSizes ?? [];
    const originals = cache.originals as Float32Array[][];
    validate(
      originals.map((list, k) => ({
        name: names[k], list, written: written[k], type: types[k] as TensorType | undefined, blockSize: blockSizes[k],
        output: cache.outputs?.[k],
      })),
    );
    // Still valid (a resizable buffer that shrank and grew back): the views follow the arrays.
    cache.lists = originals.map((l) => l.map(privateView));
    cache.lengths = originals.flatMap((l) => l.map(tensorLength));
    cache.elements = originals[0].reduce((sum, a) => sum + tensorLength(a), 0);
  }
  cache.pending = false;
}

function validate(args: StreamArg[]): Float32Array[][] {
  const first = checkTensorList(args[0].name, args[0].list);
  const like = { name: args[0].name, list: first };
  const lists = args.map((a, i) => (i === 0 ? first : checkTensorList(a.name, a.list, like, a.type, a.blockSize)));
  const out = args.findIndex((a) => a.output === true);
  if (out < 0) {
    checkNoOverlap(args.map((a, i) => ({ name: a.name, list: lists[i], writable: a.written })));
    return lists;
  }
  // An output that is its param's memory is left out, and that param counts as written.
  const inPlace = (t: number) => sameMemory(lists[out][t], first[t]);
  checkNoOverlap([
    ...args.map((a, i) => ({ name: a.name, list: lists[i], writable: a.written, skip: i === out || i === 0 ? inPlace : undefined })),
    { name: args[0].name, list: first, writable: true, skip: (t: number) => !inPlace(t) },
  ]);
  return lists;
}

