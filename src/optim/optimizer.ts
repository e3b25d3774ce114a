// The PyTorch-shaped Optimizer: parameter groups with their own hyperparameters, state keyed
// by parameter identity, exact state dicts. Subclasses only plan one group's update.
import { getBackend } from '../backend';
import type { StreamCache } from '../backend/types';
import { addBookkeeping } from '../functional/bookkeeping';
import type { PlannedUpdate } from '../functional/planned-update';
import { runAll, runStep, runStepAsync } from '../functional/step-runner';
import { verifyCache } from '../functional/stream-check';
import { attachParam, isTensorListError } from '../functional/tensor-error';
import { checkBoolean, didYouMean, isFloat32Array, onResizableBuffer, tensorLength, typeTagOf } from '../functional/validate';
import { blockCount } from '../backend/state-format';
import { GroupCall } from './group-call';
import { parameterLength, StateMap } from './state';
import { convertState, formatFor, formatOf, lockStateDtype, stateBytesOf, type StoredStateOptions } from './stored-state';
import type { StateDtype } from '../backend/state-format';

export type { ParamGroup, Parameter, ParamState, StateDict, StepOptions, ZeroGradOptions } from './types';
import type { ParamGroup, Parameter, ParamState, StateDict, StepOptions, ZeroGradOptions } from './types';

/**
 * A group's options with a few more: what `{ ...group, ...extra }` means, at a hundredth of its
 * cost. Node 20's V8 takes 2-4 µs to spread an object into a literal that adds properties
 * after it (measured: 2.5 µs for a parameter group plus two options), every step, every group.
 */
export function groupOptionsWith<T extends object, E extends object>(group: T, extra: E): T & E {
  return Object.assign({}, group, extra);
}

/** Keys a parameter group may carry besides the optimizer's options. */
const GROUP_EXTRAS = ['params', 'name', 'initialLr'];

/** Rejects option names the optimizer does not have: a misspelt option must not pass silently. */
function checkKnownKeys(where: string, object: object, known: readonly string[]): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    const near = didYouMean(key, known);
    const hint = near ? ` (did you mean '${near}'?)` : ` (known: ${known.join(', ')})`;
    throw new TypeError(`${where} has no option '${key}'${hint}`);
  }
}

/**
 * Rejects the keys of a group that look like a misspelt option (another case, snake_case, a
 * typo): set after construction, the optimizer would never read them. Other keys are the
 * user's own business, as in PyTorch.
 */
function checkMisspeltKeys(where: string, keys: readonly string[], known: readonly string[]): void {
  for (const key of keys) {
    if (known.includes(key)) continue;
    const near = didYouMean(key, known);
    if (near !== undefined)
      throw new TypeError(`${where}.${key} is not an option of this optimizer and would be ignored (did you mean '${near}'?)`);
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The step's gradScale: finite and >= 0 (a negative one turns descent into ascent). */
function checkGradScale(value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`gradScale must be a number, got ${typeof value}`);
  if (!Number.isFinite(value))
    throw new RangeError(
      `gradScale must be a finite number >= 0, got ${value} (a non-finite scale, from clipCoefficient of a ` +
        `gradient holding NaN or Infinity say, can skip the step instead: pass skipIfNonFinite: true)`,
    );
  if (value < 0) throw new RangeError(`gradScale must be a finite number >= 0, got ${value}`);
  return value;
}

/** A shallow copy with array values copied too, leaving out undefined values (they mean "default"). */
function cloneEntries(object: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(object)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, cloneValue(v)]),
  );
}

function deepFreeze<T>(value: T): T {
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
function cloneValue(value: unknown): unknown {
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
const shallowState = (s: ParamState): ParamState => ({ ...s });

/**
 * What every optimizer of this package is: parameter groups, state keyed by parameter, step,
 * zeroGrad, state dicts. Use it as the type of "any optimizer"; to make a variant, extend one of
 * the built-in optimizers (the planning machinery behind step() is internal).
 */
export abstract class Optimizer<Options extends object> {
  readonly defaults: Readonly<Options>;
  readonly paramGroups: Array<ParamGroup & Options> = [];
  readonly state: Map<Parameter, ParamState> = new StateMap();
  private readonly calls = new WeakMap<ParamGroup, { list: GroupCall[]; used: number }>();
  /** The stream caches the step being planned uses (see verifyCache), with whose tensors they hold. */
  private planned: { cache: StreamCache; params: readonly Parameter[]; group: ParamGroup }[] = [];
  /** Elements of the largest backend call of the last step: whether the next may want the threads. */
  private largestCall = 0;
  private inFlight = false;
  /**
   * The class name recorded in state dicts and required of those loaded. A subclass of a
   * built-in optimizer inherits its name, so it loads that optimizer's state.
   */
  protected readonly stateType: string = this.constructor.name;
  /** Option names and the other keys the optimizer reads from a group. */
  private readonly knownKeys: readonly string[];
  /** Each group's keys when they were last checked (see checkMisspeltKeys). */
  private readonly checkedKeys = new WeakMap<object, string[]>();

  constructor(params: Parameter[] | ParamGroup[], defaults: Options, options: Partial<Options> = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    checkKnownKeys('options', options, Object.keys(defaults));
    this.defaults = deepFreeze(cloneEntries({ ...defaults, ...cloneEntries(options) }) as Options);
    this.knownKeys = [...Object.keys(defaults), ...GROUP_EXTRAS];
    if (!Array.isArray(params)) throw new TypeError('params must be an array of parameters or parameter groups');
    if (params.length === 0) throw new RangeError('params is empty: the optimizer has nothing to update');
    if (params.some((p) => p === null || typeof p !== 'object'))
      throw new TypeError('params must hold parameter objects ({ data, grad }) or parameter groups');
    const groups = 'params' in (params[0] as object) ? (params as ParamGroup[]) : [{ params: params as Parameter[] }];
    for (const group of groups) this.addParamGroup(group);
  }

  /** Checks one group's hyperparameters; throws TypeError/RangeError naming the option. @internal */
  protected abstract checkGroup(group: ParamGroup & Options, where: string): void;

  /** Validates one group's update and returns it, unrun (see planAdam). @internal */
  protected abstract planGroup(group: ParamGroup & Options, params: Parameter[], gradScale: number): PlannedUpdate;

  /**
   * The usual shape of planGroup: creates missing state with `init` (installed only when the
   * step runs; `buffers` are the state buffers this step uses, which `init` provides), groups
   * parameters by their next step count (parameters that missed steps have their own: one
   * backend call per count, one per group in the usual case), plans one call per count, and
   * advances the counts after the calls ran. When the group's parameters, arrays and
   * state are those of its last step (the steady state of a training loop), the last step's
   * group call and its lists are reused as they are.
   * @internal
   */
  protected planByStep(
    group: ParamGroup,
    params: Parameter[],
    buffers: readonly string[],
    init: (p: Parameter, existing: ParamState | undefined) => ParamState | undefined,
    planOne: (step: number, call: GroupCall, format: StateDtype) => PlannedUpdate,
  ): PlannedUpdate {
    const calls = this.groupCallsFor(group);
    // `init` leaves a state alone that has every buffer the step uses: when the call's own
    // (validated) buffers are those, it need not be asked.
    if (calls.used === 1) {
      const call = calls.list[0];
      if (call.holds(params, this.state as StateMap, buffers)) return this.planGroupCall(group, call, planOne);
    }
    const fresh = new Map<Parameter, ParamState>();
    // One backend call per step count and state format (int8 groups keep small tensors in float32).
    const buckets = new Map<string, { params: Parameter[]; states: ParamState[] }>();
    for (const p of params) {
      const existing = this.state.get(p);
      const created = init(p, existing);
      if (created !== undefined) fresh.set(p, created);
      const s = (created ?? existing) as ParamState;
      const key = `${((s.step as number | undefined) ?? 0) + 1} ${formatOf(s)}`;
      const bucket = buckets.get(key) ?? { params: [], states: [] };
      bucket.params.push(p);
      bucket.states.push(s);
      buckets.set(key, bucket);
    }
    const runs = [...buckets.values()].map((b, i): PlannedUpdate => {
      const call = (calls.list[i] ??= new GroupCall());
      call.reset(b.params, b.states);
      return this.planGroupCall(group, call, planOne);
    });
    calls.used = runs.length;
    // New state enters the optimizer only once its first update has run.
    return (bookkeeping) => addBookkeeping(runAll(runs, bookkeeping), () => fresh.forEach((s, p) => this.state.set(p, s)), bookkeeping);
  }

  private planGroupCall(group: ParamGroup, call: GroupCall, planOne: (step: number, call: GroupCall, format: StateDtype) => PlannedUpdate): PlannedUpdate {
    this.planned.push({ cache: call.cache, params: call.params, group });
    const states = call.states;
    const step = ((states[0].step as number | undefined) ?? 0) + 1;
    let run: PlannedUpdate;
    try {
      run = planOne(step, call, formatOf(states[0]));
    } catch (e) {
      throw this.locate(e, call.params, group);
    }
    return (bookkeeping) =>
      addBookkeeping(
        run(bookkeeping),
        () => {
          for (let i = 0; i < states.length; i++) states[i].step = step;
        },
        bookkeeping,
      );
  }

  /** The backend calls of a group (one per distinct step count), kept across steps. */
  private groupCallsFor(group: ParamGroup): { list: GroupCall[]; used: number } {
    let calls = this.calls.get(group);
    if (calls === undefined) this.calls.set(group, (calls = { list: [], used: 0 }));
    return calls;
  }

  /** A stream cache for a group's call that does not go through planByStep (SGD). @internal */
  protected cacheFor(group: ParamGroup, params: readonly Parameter[]): StreamCache {
    const cache = (this.groupCallsFor(group).list[0] ??= new GroupCall()).cache;
    this.planned.push({ cache, params, group });
    return cache;
  }

  /**
   * Names the parameter an error of the functional layer is about. There, "grads[2]" is the third
   * tensor of one backend call; the user knows it as paramGroups[g].params[i] (and maybe by name).
   * @internal
   */
  protected locate(error: unknown, params: readonly Parameter[], group: ParamGroup): unknown {
    if (!isTensorListError(error)) return error;
    const p = params[error.index];
    const g = this.paramGroups.indexOf(group as ParamGroup & Options);
    if (p === undefined || g < 0) return error;
    const index = this.paramGroups[g].params.indexOf(p);
    attachParam(error, typeof p.name === 'string' ? { group: g, index, name: p.name } : { group: g, index });
    return error;
  }

  addParamGroup(group: ParamGroup): void {
    if (group === null || typeof group !== 'object' || !Array.isArray(group.params))
      throw new TypeError('a parameter group must be an object with a params array');
    const where = `paramGroups[${this.paramGroups.length}]`;
    checkKnownKeys(where, group, this.knownKeys);
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    group.params.forEach((p, i) => {
      if (p === null || typeof p !== 'object' || !isFloat32Array(p.data))
        throw new TypeError(`${where}.params[${i}].data must be a Float32Array`);
      if (p.grad !== null && p.grad !== undefined && !isFloat32Array(p.grad))
        throw new TypeError(`${where}.params[${i}].grad must be a Float32Array or null`);
      if (seen.has(p)) throw new RangeError(`${where}.params[${i}] appears in more than one place`);
      seen.add(p);
    });
    const full = { ...cloneEntries(this.defaults), ...cloneEntries(group), params: [...group.params] } as ParamGroup & Options;
    this.checkGroup(full, where);
    if ('stateDtype' in this.defaults) lockStateDtype(full as unknown as ParamGroup & StoredStateOptions, where);
    this.paramGroups.push(full);
  }

  /** Bytes of optimizer state held now (every buffer, in its stored form: see stateDtype). */
  stateBytes(): number {
    let bytes = 0;
    for (const s of this.state.values()) bytes += stateBytesOf(s);
    return bytes;
  }

  /** Applies one update to every parameter with a gradient; returns false if skipped. */
  step(options: StepOptions = {}): boolean {
    const plans = this.planStep(options);
    if (plans === null) return false;
    runStep(plans);
    return true;
  }

  /**
   * step() off the JS thread: the native kernels run on a libuv worker while JS goes on; the
   * promise resolves to whether the step was applied. Until it settles, the optimizer rejects
   * another step, zeroGrad and state dicts, and the arrays must not be written or transferred.
   */
  async stepAsync(options: StepOptions = {}): Promise<boolean> {
    const plans = this.planStep(options, true);
    if (plans === null) return false;
    this.inFlight = true;
    try {
      await runStepAsync(plans);
    } finally {
      this.inFlight = false;
    }
    return true;
  }

  private idle(what: string): void {
    if (this.inFlight) throw new Error(`${what}: a stepAsync() of this optimizer is still running; await it first`);
  }

  /** Validates and plans every group (null: skipped for a non-finite gradient). */
  private planStep(options: StepOptions, async = false): PlannedUpdate[] | null {
    this.idle('step');
    if (options === null || typeof options !== 'object') throw new TypeError('step options must be an object');
    checkKnownKeys('step options', options, ['gradScale', 'skipIfNonFinite']);
    const skip = options.skipIfNonFinite === undefined ? false : checkBoolean('skipIfNonFinite', options.skipIfNonFinite);
    // A NaN/Infinity scale (clipCoefficient of a NaN gradient) is a non-finite step like any other.
    if (skip && typeof options.gradScale === 'number' && !Number.isFinite(options.gradScale)) return null;
    const gradScale = options.gradScale === undefined ? 1 : checkGradScale(options.gradScale);
    getBackend().prepare(this.largestCall);
    // Usually every parameter has a gradient: then no copy of the list is needed.
    const hasGrad = (p: Parameter) => p.grad !== null && p.grad !== undefined;
    const active = this.paramGroups.map((g) => (g.params.every(hasGrad) ? g.params : g.params.filter(hasGrad)));
    // Plan every group before running any: a rejected group leaves all groups untouched.
    this.planned = [];
    let plans: PlannedUpdate[];
    try {
      plans = this.paramGroups.map((group, i) => {
        this.checkGroupKeys(group, `paramGroups[${i}]`);
        this.checkGroup(group, `paramGroups[${i}]`);
        return this.planGroup(group, active[i], gradScale);
      });
      if (skip) {
        const grads = active.flat().map((p) => p.grad as Float32Array);
        if (!Number.isFinite(getBackend().reduce(grads, 'maxAbs'))) return null;
      }
      if (async) for (const { cache, params, group } of this.planned) this.refuseResizable(cache, params, group);
      // Array lengths last, after everything that can run user code (getters of params and
      // options): a buffer detached since the last step is refused before any group runs.
      // (The native backend checks once more right before each call.)
      this.largestCall = 0;
      const planned = this.planned;
      for (let i = 0; i < planned.length; i++) {
        const { cache, params, group } = planned[i];
        try {
          if (cache.pending) verifyCache(cache);
        } catch (e) {
          throw this.locate(e, params, group);
        }
        this.largestCall = Math.max(this.largestCall, cache.elements ?? 0);
      }
    } finally {
      this.planned = [];
    }
    return plans;
  }

  /**
   * Refuses a group key that looks like a misspelt option. The keys are listed every step (a
   * user may add one at any time), but examined one by one only when they differ from the
   * keys of the last check: about 0.2 µs a group when nothing changed.
   */
  private checkGroupKeys(group: ParamGroup, where: string): void {
    const keys = Object.keys(group);
    const checked = this.checkedKeys.get(group);
    if (checked !== undefined && sameKeys(keys, checked)) return;
    checkMisspeltKeys(where, keys, this.knownKeys);
    this.checkedKeys.set(group, keys);
  }

  /**
   * A resizable buffer could shrink under the worker: refused before any group runs. Looks at
   * the call's validated lists (when this step used them) and at every parameter's arrays and
   * state buffers: the calls planned without the cache (SGD starting some momentum buffers,
   * NAdam at several μ products) use those.
   */
  private refuseResizable(cache: StreamCache, params: readonly Parameter[], group: ParamGroup): void {
    const refuse = (i: number) => {
      const g = this.paramGroups.indexOf(group as ParamGroup & Options);
      throw new TypeError(
        `paramGroups[${g}].params[${group.params.indexOf(params[i])}] uses a resizable ArrayBuffer: use step(), not stepAsync()`,
      );
    };
    if (cache.pending && cache.lists !== undefined)
      for (const list of cache.lists) list.forEach((a, i) => onResizableBuffer(a) && refuse(i));
    params.forEach((p, i) => {
      const arrays = [p.data, p.grad, ...Object.values(this.state.get(p) ?? {})];
      if (arrays.some((a) => typeTagOf(a) !== undefined && onResizableBuffer(a as Float32Array))) refuse(i);
    });
  }

  zeroGrad({ setToNone = false }: ZeroGradOptions = {}): void {
    this.idle('zeroGrad');
    for (const group of this.paramGroups)
      for (const p of group.params) {
        if (setToNone) p.grad = null;
        else if (p.grad) p.grad.fill(0);
      }
  }

  /**
   * A deep snapshot of the state and the hyperparameters, independent of the backend: every
   * buffer, number and option is copied, so no later step or change to the optimizer alters it.
   */
  stateDict(): StateDict {
    return this.collectState('stateDict', (s) => cloneValue(s) as ParamState);
  }

  /**
   * stateDict() without copying the state buffers: its Float32Arrays are the optimizer's own,
   * which the next step overwrites. For writing a checkpoint of a very large model at once
   * (serializeState, saveCheckpoint) without a second copy of its state in memory. Use it
   * before the next step, and never write into its arrays. Counts and options are copies.
   */
  zeroCopyStateDict(): StateDict {
    return this.collectState('zeroCopyStateDict', shallowState);
  }

  private collectState(what: string, copyState: (s: ParamState) => ParamState): StateDict {
    this.idle(what);
    const state: Record<number, ParamState> = {};
    const paramGroups: StateDict['paramGroups'] = [];
    let index = 0;
    for (const group of this.paramGroups) {
      const ids: number[] = [];
      for (const p of group.params) {
        const s = this.state.get(p);
        if (s) state[index] = copyState(s);
        ids.push(index++);
      }
      const { params: _params, ...options } = group;
      paramGroups.push({ ...(cloneValue(options) as Record<string, unknown>), params: ids });
    }
    return { type: this.stateType, state, paramGroups };
  }

  /**
   * Restores a snapshot taken from an optimizer of the same class and shape (on either
   * backend), copying it: later changes to `stateDict` do not reach the optimizer. Checks
   * everything first; a refused state dict leaves the optimizer unchanged. A state dict of
   * another class is refused with both names. One without a `type` (written before state dicts
   * recorded it) is accepted when its groups name only this optimizer's options.
   */
  loadStateDict(stateDict: StateDict): void {
    this.idle('loadStateDict');
    if (stateDict === null || typeof stateDict !== 'object' || !Array.isArray(stateDict.paramGroups))
      throw new TypeError('stateDict must have a paramGroups array');
    if (stateDict.state === null || typeof stateDict.state !== 'object')
      throw new TypeError('stateDict must have a state object');
    const type: unknown = stateDict.type;
    if (type !== undefined && type !== this.stateType)
      throw new TypeError(`stateDict is for ${String(type)}, not ${this.stateType}: load it into a ${String(type)} optimizer`);
    const groups = stateDict.paramGroups;
    if (groups.length !== this.paramGroups.length)
      throw new RangeError(`stateDict has ${groups.length} parameter groups, the optimizer has ${this.paramGroups.length}`);
    const byIndex: Parameter[] = [];
    groups.forEach((g, i) => {
      const own = this.paramGroups[i].params;
      if (!Array.isArray(g.params) || g.params.length !== own.length)
        throw new RangeError(`stateDict.paramGroups[${i}] has a different number of parameters`);
      g.params.forEach((id, k) => {
        if (!Number.isInteger(id) || id < 0 || byIndex[id] !== undefined)
          throw new RangeError(`stateDict.paramGroups[${i}].params[${k}] must be a parameter index used once, got ${id}`);
        byIndex[id] = own[k];
      });
    });
    // Check everything before changing anything.
    const groupOf = new Map<Parameter, ParamGroup & Options>();
    for (const g of this.paramGroups) for (const p of g.params) groupOf.set(p, g);
    const restored = new Map<Parameter, ParamState>();
    for (const [key, s] of Object.entries(stateDict.state)) {
      const p = byIndex[Number(key)];
      if (p === undefined) throw new RangeError(`stateDict.state[${key}] matches no parameter`);
      const copy = checkStateEntry(`stateDict.state[${key}]`, s, parameterLength(p));
      // Stored in this optimizer's format for the parameter (stateDtype), whatever the dict's.
      const group = groupOf.get(p) as ParamGroup & Options;
      const target = 'stateDtype' in group ? formatFor(group as unknown as StoredStateOptions, p) : 'float32';
      restored.set(p, formatOf(copy) === target ? copy : convertState(copy, target));
    }
    const newGroups = groups.map((g, i) => {
      const { params: _ids, ...options } = g;
      const where = `stateDict.paramGroups[${i}]`;
      if (type === undefined)
        for (const key of Object.keys(options))
          if (!this.knownKeys.includes(key))
            throw new TypeError(
              `${where} has option '${key}', which ${this.stateType} does not have: this state dict (which records ` +
                `no optimizer type) looks like another optimizer's`,
            );
      checkMisspeltKeys(where, Object.keys(options), this.knownKeys);
      // The format is the optimizer's own (its state was converted to it above).
      const { stateDtype: _dtype, min8bitSize: _min, ...kept } = options;
      const merged = { ...this.paramGroups[i], ...(cloneValue(kept) as object) } as ParamGroup & Options;
      this.checkGroup(merged, `stateDict.paramGroups[${i}]`);
      return merged;
    });
    this.state.clear();
    for (const [p, s] of restored) this.state.set(p, s);
    newGroups.forEach((g, i) => Object.assign(this.paramGroups[i], g));
  }
}

const STATE_TYPES = ['Float32Array', 'Uint16Array', 'Uint8Array'];

/**
 * A copy of one parameter's state from a state dict, checked: buffers of the parameter's length
 * (int8 absmax lists: one value per block), finite counters, and a known format with the
 * buffer types it implies.
 */
function checkStateEntry(where: string, s: unknown, length: number): ParamState {
  if (s === null || typeof s !== 'object') throw new TypeError(`${where} must be an object`);
  const entry = s as Record<string, unknown>;
  const format = entry.stateFormat ?? 'float32';
  if (format !== 'float32' && format !== 'bfloat16' && format !== 'int8')
    throw new RangeError(`${where}.stateFormat must be 'bfloat16' or 'int8' (absent for float32), got ${String(format)}`);
  const blockSize = entry.blockSize;
  if (format === 'int8' && !(typeof blockSize === 'number' && [256, 512, 1024, 2048, 4096].includes(blockSize)))
    throw new RangeError(`${where}.blockSize must be 256, 512, 1024, 2048 or 4096 for int8 state, got ${String(blockSize)}`);
  const bufferType = format === 'float32' ? 'Float32Array' : format === 'bfloat16' ? 'Uint16Array' : 'Uint8Array';
  const copy: ParamState = {};
  for (const [name, value] of Object.entries(entry)) {
    const tag = typeTagOf(value);
    if (name === 'stateFormat') copy[name] = format as string;
    else if (tag !== undefined && STATE_TYPES.includes(tag)) {
      const absmax = format === 'int8' && name.endsWith('Absmax');
      const want = absmax ? 'Float32Array' : bufferType;
      if (tag !== want) throw new TypeError(`${where}.${name} must be a ${want} (${format} state), got a ${tag}`);
      const n = tensorLength(value as Float32Array);
      const expected = absmax ? blockCount(length, blockSize as number) : length;
      if (n !== expected)
        throw new RangeError(`${where}.${name} has length ${n}, ${absmax ? `the parameter has ${expected} blocks` : `the parameter has ${length}`}`);
      copy[name] = (value as Float32Array).slice();
    } else if (typeof value === 'number' && Number.isFinite(value)) copy[name] = value;
    else throw new TypeError(`${where}.${name} must be a typed array of state or a finite number`);
  }
  if (format === 'int8')
    for (const name of Object.keys(copy))
      if (typeTagOf(copy[name]) === 'Uint8Array' && typeTagOf(copy[`${name}Absmax`]) !== 'Float32Array')
        throw new TypeError(`${where}.${name}Absmax is missing: int8 state needs each buffer's block scales`);
  return copy;
}
