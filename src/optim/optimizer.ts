// The PyTorch-shaped Optimizer: parameter groups with their own hyperparameters, state keyed
// by parameter identity, exact state dicts. Subclasses only plan one group's update.
import { getBackend } from '../backend';
import type { StreamCache } from '../backend/types';
import { addBookkeeping } from '../functional/bookkeeping';
import type { PlannedUpdate } from '../functional/planned-update';
import { runAll, runStep, runStepAsync } from '../functional/step-runner';
import { verifyCache } from '../functional/stream-check';
import { attachParam, isTensorListError } from '../functional/tensor-error';
import { checkBoolean } from '../functional/validate';
import { cloneEntries, cloneValue, deepFreeze, shallowState } from './clone';
import { GroupCall } from './group-call';
import { checkGradScale, checkGroupParams, checkKnownKeys, GROUP_EXTRAS, GroupKeyCheck } from './option-checks';
import { firstOnResizableBuffer } from './resizable';
import { StateMap } from './state';
import { splitByStep } from './step-buckets';
import { collectStateDict, loadStateDict, type StateDictHost } from './state-dict';
import { formatOf, lockStateDtype, stateBytesOf, type StoredStateOptions } from './stored-state';
import type { StateDtype } from '../backend/state-format';

export type { ParamGroup, Parameter, ParamState, StateDict, StepOptions, ZeroGradOptions } from './types';
import type { ParamGroup, Parameter, ParamState, StateDict, StepOptions, ZeroGradOptions } from './types';

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
  /** Refuses group keys that look like misspelt options. */
  private readonly keyCheck: GroupKeyCheck;

  constructor(params: Parameter[] | ParamGroup[], defaults: Options, options: Partial<Options> = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    checkKnownKeys('options', options, Object.keys(defaults));
    this.defaults = deepFreeze(cloneEntries({ ...defaults, ...cloneEntries(options) }) as Options);
    this.knownKeys = [...Object.keys(defaults), ...GROUP_EXTRAS];
    this.keyCheck = new GroupKeyCheck(this.knownKeys);
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
    const { buckets, fresh } = splitByStep(params, this.state, init);
    const runs = buckets.map((b, i): PlannedUpdate => {
      const call = (calls.list[i] ??= new GroupCall());
      call.reset(b.params, b.states);
      return this.planGroupCall(group, call, planOne);
    });
    calls.used = runs.length;
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
    checkGroupParams(where, group.params, new Set(this.paramGroups.flatMap((g) => g.params)));
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
        this.keyCheck.check(group, `paramGroups[${i}]`);
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

  /** A resizable buffer could shrink under the worker: refused before any group runs. */
  private refuseResizable(cache: StreamCache, params: readonly Parameter[], group: ParamGroup): void {
    const i = firstOnResizableBuffer(cache, params, this.state);
    if (i === undefined) return;
    const g = this.paramGroups.indexOf(group as ParamGroup & Options);
    throw new TypeError(
      `paramGroups[${g}].params[${group.params.indexOf(params[i])}] uses a resizable ArrayBuffer: use step(), not stepAsync()`,
    );
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
    this.idle('stateDict');
    return collectStateDict(this.stateDictHost(), (s) => cloneValue(s) as ParamState);
  }

  /**
   * stateDict() without copying the state buffers: its Float32Arrays are the optimizer's own,
   * which the next step overwrites. For writing a checkpoint of a very large model at once
   * (serializeState, saveCheckpoint) without a second copy of its state in memory. Use it
   * before the next step, and never write into its arrays. Counts and options are copies.
   */
  zeroCopyStateDict(): StateDict {
    this.idle('zeroCopyStateDict');
    return collectStateDict(this.stateDictHost(), shallowState);
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
    loadStateDict(this.stateDictHost(), stateDict);
  }

  private stateDictHost(): StateDictHost {
    return {
      stateType: this.stateType,
      paramGroups: this.paramGroups,
      state: this.state,
      knownKeys: this.knownKeys,
      checkGroup: (group, where) => this.checkGroup(group as ParamGroup & Options, where),
    };
  }
}
