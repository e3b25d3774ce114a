// Shared plumbing of the functional entry points: check the tensor lists of one call, reject
// memory shared with a written list, and return the backend call, not yet run.
import { getBackend } from '../backend';
import { lengthsHold } from '../backend/stream-cache';
import type { KernelScalars, KernelStreams, Kind, StreamCache } from '../backend/types';
import {
  checkBoolean, checkNoOverlap, checkNumber, checkTensorList, lengthGetterIntact, onChangeableBuffer, privateView,
  tensorLength,
} from './validate';

export interface StreamArg {
  /** The argument's name in error messages, e.g. 'expAvgs'. */
  name: string;
  list: unknown;
  written: boolean;
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
    const originals = cache.originals as Float32Array[][];
    validate(originals.map((list, k) => ({ name: names[k], list, written: written[k] })));
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
  const lists = args.map((a, i) => (i === 0 ? first : checkTensorList(a.name, a.list, like)));
  checkNoOverlap(args.map((a, i) => ({ name: a.name, list: lists[i], writable: a.written })));
  return lists;
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
  lr: number;
  weightDecay: number;
  maximize?: boolean;
  /** Multiplies every gradient inside the update (e.g. a clipping coefficient); 1 by default. */
  gradScale?: number;
}

export function checkOptions(options: unknown): asserts options is Record<string, unknown> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
}

/** lr, weightDecay, and the signed gradient scale (negative when maximizing). */
export function commonScalars(o: CommonOptions): { lr: number; weightDecay: number; gradScale: number } {
  const lr = checkNumber('lr', o.lr, { min: 0 });
  const weightDecay = checkNumber('weightDecay', o.weightDecay, { min: 0 });
  const maximize = o.maximize === undefined ? false : checkBoolean('maximize', o.maximize);
  const gradScale = o.gradScale === undefined ? 1 : checkNumber('gradScale', o.gradScale);
  return { lr, weightDecay, gradScale: maximize ? -gradScale : gradScale };
}

export const checkBeta = (name: string, value: unknown) => checkNumber(name, value, { min: 0, max: 1, maxExclusive: true });
export const checkStep = (value: unknown) => checkNumber('step', value, { min: 1, integer: true });
