// Shared plumbing of the functional entry points: check the tensor lists of one call, reject
// memory shared with a written list, and return the backend call, not yet run.
import { getBackend } from '../backend';
import { BLOCK_SIZES, DEFAULT_BLOCK_SIZE, STATE_DTYPES, type StateDtype } from '../backend/state-format';
import { lengthsHold } from '../backend/stream-cache';
import { type KernelScalars, type KernelStreams, type Kind, STATE_FORMAT_CODES, type StreamCache } from '../backend/types';
import {
  checkBoolean, checkNoOverlap, checkNumber, checkTensorList, lengthGetterIntact, onChangeableBuffer, privateView,
  tensorLength, type TensorType,
} from './validate';

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
  checkNoOverlap(args.map((a, i) => ({ name: a.name, list: lists[i], writable: a.written })));
  return lists;
}

/** How a call's state lists are stored when not as float32 (src/backend/state-format.ts). */
export interface StoredLayout {
  dtype: Exclude<StateDtype, 'float32'>;
  /** int8: elements per block, one absmax each. */
  blockSize: number;
}

/** Stored state of one call: its layout and, with int8, each state argument's absmax list (by argument name). */
export interface StoredArgs {
  layout: StoredLayout;
  absmax?: Record<string, unknown>;
}

/** A stateDtype option: one of STATE_DTYPES, else a TypeError/RangeError listing them. */
export function checkStateDtype(name: string, value: unknown): StateDtype {
  const allowed = STATE_DTYPES.map((d) => `'${d}'`).join(', ');
  if (typeof value !== 'string') throw new TypeError(`${name} must be one of ${allowed}, got ${typeof value}`);
  if (!(STATE_DTYPES as readonly string[]).includes(value)) throw new RangeError(`${name} must be one of ${allowed}, got '${value}'`);
  return value as StateDtype;
}

export function checkBlockSize(name: string, value: unknown): number {
  checkNumber(name, value, { integer: true });
  if (!BLOCK_SIZES.includes(value as number)) throw new RangeError(`${name} must be one of ${BLOCK_SIZES.join(', ')}, got ${value}`);
  return value as number;
}

/** The layout the functional options { stateDtype, blockSize } ask for; null for float32 state. */
export function storedLayout(options: { stateDtype?: unknown; blockSize?: unknown }): StoredLayout | null {
  const dtype = options.stateDtype === undefined ? 'float32' : checkStateDtype('stateDtype', options.stateDtype);
  const blockSize = options.blockSize === undefined ? DEFAULT_BLOCK_SIZE : checkBlockSize('blockSize', options.blockSize);
  return dtype === 'float32' ? null : { dtype, blockSize };
}

/**
 * checkStreams for a call that may have stored state: its state lists (the arguments with a
 * `stream`) are checked as Uint16Array (bfloat16) or Uint8Array (int8) tensors, and with int8
 * each one's absmax list too (named `${name}Absmax` in errors). Returns the checked lists of
 * `args` and the fields the kernel's streams object gains (see StoredFields).
 */
export function checkStateStreams(
  args: StreamArg[],
  cache: StreamCache | undefined,
  stored: StoredArgs | undefined,
): { lists: Float32Array[][]; fields: object } {
  if (stored === undefined) return { lists: checkStreams(args, cache), fields: {} };
  const { dtype, blockSize } = stored.layout;
  const int8 = dtype === 'int8';
  const typed = args.map((a) => (a.stream === undefined ? a : { ...a, type: (int8 ? 'Uint8Array' : 'Uint16Array') as TensorType }));
  const scales = int8
    ? args
        .filter((a) => a.stream !== undefined)
        .map((a) => ({ name: `${a.name}Absmax`, list: stored.absmax?.[a.name], written: true, blockSize, stream: `${a.stream}Absmax` }))
    : [];
  // The absmax lists are no state lists themselves: checked as Float32Array, with block counts.
  const all = checkStreams([...typed, ...scales.map(({ stream: _s, ...rest }) => rest)], cache);
  const fields: Record<string, unknown> = { stateFormat: STATE_FORMAT_CODES[dtype] };
  if (int8) {
    fields.blockSize = blockSize;
    scales.forEach((s, i) => (fields[s.stream] = all[args.length + i]));
  }
  return { lists: all.slice(0, args.length), fields };
}

/**
 * A validated update, not yet run: `run()` runs it now; `run(later)` runs it as `later` says
 * (now, or off the JS thread returning a promise) and leaves its bookkeeping to `later`.
 * Optimizers plan every group before running any, so a rejected step changes nothing.
 */
export type Run = (later?: Later) => void | Promise<void>;

/**
 * The bookkeeping of a step (step counts, new state, NAdam's μ products), held until every
 * backend call of the step has settled. It can run user code (a setter someone put on a state
 * object): none may run while a worker still uses the arrays, nor between one group's update
 * and the next.
 */
export class Later {
  private readonly entries: { done: void | Promise<void>; apply: () => void }[] = [];

  constructor(readonly async: boolean) {}

  /** `apply` is to run once the whole step has settled, if `done` fulfilled. */
  add(done: void | Promise<void>, apply: () => void): void | Promise<void> {
    this.entries.push({ done, apply });
    return done;
  }

  /** Applies, in order, the bookkeeping of every call that succeeded. */
  async apply(): Promise<void> {
    const outcomes = await Promise.allSettled(this.entries.map((e) => e.done));
    outcomes.forEach((o, i) => o.status === 'fulfilled' && this.entries[i].apply());
  }

  /** The same when every call ran synchronously (a call that threw added nothing). */
  applyNow(): void {
    for (const e of this.entries) e.apply();
  }
}

export function plan<K extends Kind>(
  kind: K,
  streams: KernelStreams[K],
  scalars: KernelScalars[K],
  cache?: StreamCache,
): Run {
  // Finite hyperparameters can still overflow in what is derived from them (1 - lr·wd, lr/bc1):
  // refuse here, before any group runs, rather than in the addon mid-step.
  for (const name in scalars) {
    const value = (scalars as Record<string, unknown>)[name];
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new RangeError(`the ${kind} update's ${name} is ${value}: the hyperparameters overflow`);
  }
  return (later) => {
    // Unless the optimizer verified every group's cache after planning them all.
    if (cache?.pending) verifyCache(cache);
    return later?.async
      ? getBackend().stepAsync(kind, streams, scalars, cache)
      : getBackend().step(kind, streams, scalars, cache);
  };
}

/** Runs `after` once a run is done: at once when synchronous, else when the whole step settled. */
export function andThen(result: void | Promise<void>, after: () => void, later: Later | undefined): void | Promise<void> {
  if (later !== undefined) return later.add(result, after);
  after();
}

/**
 * Runs every plan the same way. Asynchronously, the promise settles only once every call that
 * started has finished, even when one failed: a call still running holds pointers into arrays
 * that user code, told of the failure, might free or reuse.
 */
export function runAll(runs: Run[], later?: Later): void | Promise<void> {
  // Indexed loops: a for...of would call the array iterator, which user code can replace.
  if (!later?.async) {
    for (let i = 0; i < runs.length; i++) runs[i](later);
    return;
  }
  const started: Promise<void>[] = [];
  let failure: { error: unknown } | undefined;
  try {
    for (let i = 0; i < runs.length; i++) started.push(Promise.resolve(runs[i](later)));
  } catch (error) {
    failure = { error };
  }
  return Promise.allSettled(started).then((outcomes) => {
    if (failure !== undefined) throw failure.error;
    for (const o of outcomes) if (o.status === 'rejected') throw o.reason;
  });
}

/** Runs a step's plans now, then their bookkeeping (that of the calls that ran, if one threw). */
export function runStep(runs: Run[]): void {
  const later = new Later(false);
  try {
    runAll(runs, later);
  } finally {
    later.applyNow();
  }
}

/** Runs a step's plans off the JS thread; settles after every call and then the bookkeeping. */
export async function runStepAsync(runs: Run[]): Promise<void> {
  const later = new Later(true);
  const [outcome] = await Promise.allSettled([runAll(runs, later)]);
  await later.apply();
  if (outcome.status === 'rejected') throw outcome.reason;
}

/** Options every optimizer shares. */
export interface CommonOptions {
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
