import { writeMomentum, type MomentumKey } from './momentum';
import type { JsonValue, ParamGroupLike, SchedulableOptimizer, SchedulerStateDict } from './types';
import { checkOptimizer, stateError, stateInteger, stateNumbers, stateRecord } from './validate';

/**
 * Port of PyTorch's `_LRScheduler`. Subclasses compute the next lr either recursively from the
 * current group lr (the "chainable" form, so several schedulers can be stacked) or in closed form
 * from `lastEpoch`; which one each uses mirrors PyTorch exactly, because the two forms differ in
 * the last bits and PyTorch parity is the point.
 *
 * Subclass constructors must call `configure()`-style validation and then `start()` themselves:
 * with ES2022 class fields, subclass fields only exist after `super()` returns, so the base
 * constructor cannot take PyTorch's initial step.
 */
export abstract class LRScheduler {
  readonly optimizer: SchedulableOptimizer;
  /** Number of the last step taken; the constructor's initial step leaves it at 0, as in PyTorch. */
  lastEpoch = -1;
  /** Each group's `initialLr` at construction (CyclicLR: its `baseLr`). */
  baseLrs: number[] = [];
  protected readonly schedulerName: string;
  protected readonly groupCount: number;
  protected stepCount = 0;
  protected lastLrs: number[] = [];
  /** Set by schedulers that cycle momentum, to say which key each group carries it in. */
  protected momentumKeys: MomentumKey[] | null = null;
  protected lastMomenta: number[] | null = null;

  protected constructor(optimizer: SchedulableOptimizer, name: string) {
    this.groupCount = checkOptimizer(name, optimizer).length;
    this.optimizer = optimizer;
    this.schedulerName = name;
  }

  /** The learning rates this scheduler last wrote, one per param group. */
  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  /** Advances one step and writes the new lr (and cycled momentum) into the param groups. */
  step(): void {
    this.advance(this.lastEpoch + 1, false);
  }

  /**
   * @internal PyTorch's `_initial_step`; SequentialLR also uses it to restart its first child.
   */
  _initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /**
   * @internal PyTorch's deprecated `step(epoch)`: jump to `epoch` via the closed form. Only
   * SequentialLR needs it (it restarts each later child with `step(0)`), so it is not public API.
   */
  _stepAt(epoch: number): void {
    this.advance(epoch, true);
  }

  stateDict(): SchedulerStateDict {
    const state: SchedulerStateDict = {
      type: this.schedulerName,
      lastEpoch: this.lastEpoch,
      stepCount: this.stepCount,
      baseLrs: [...this.baseLrs],
      lastLr: [...this.lastLrs],
      options: this.options(),
      ...this.progressState(),
    };
    if (this.lastMomenta !== null) state.lastMomentum = [...this.lastMomenta];
    return state;
  }

  /**
   * Restores progress and hyperparameters (PyTorch restores its whole `__dict__`, options
   * included), then writes the saved lr and momentum back into the param groups. PyTorch leaves
   * that to `optimizer.load_state_dict`; doing it here means a fresh scheduler on the same
   * optimizer resumes exactly even though its own construction already moved the lr.
   */
  loadStateDict(state: SchedulerStateDict): void {
    const owner = this.schedulerName;
    const rec = stateRecord(owner, state, owner);
    const lastEpoch = stateInteger(owner, rec, 'lastEpoch');
    if (lastEpoch < -1) stateError(owner, 'lastEpoch', 'an integer >= -1', lastEpoch);
    const stepCount = stateInteger(owner, rec, 'stepCount');
    if (stepCount < 0) stateError(owner, 'stepCount', 'an integer >= 0', stepCount);
    const baseLrs = stateNumbers(owner, rec, 'baseLrs', this.groupCount);
    const lastLr = stateNumbers(owner, rec, 'lastLr', this.groupCount);
    const lastMomentum = rec.lastMomentum === undefined ? null : stateNumbers(owner, rec, 'lastMomentum', this.groupCount);
    const commitProgress = this.parseProgressState(rec);
    this.loadOptions(rec.options);
    commitProgress();
    this.lastEpoch = lastEpoch;
    this.stepCount = stepCount;
    this.baseLrs = baseLrs;
    this.lastLrs = lastLr;
    this.lastMomenta = this.momentumKeys !== null ? lastMomentum : null;
    this.writeGroups(lastLr, this.lastMomenta);
  }

  /** Hyperparameters as the constructor's camelCase options, minus functions. */
  protected abstract options(): Record<string, JsonValue>;

  /** Validates and applies saved hyperparameters; throws before changing anything. */
  protected abstract loadOptions(options: unknown): void;

  /** Chainable form (PyTorch's `get_lr`), called with `lastEpoch` already advanced. */
  protected abstract computeLr(): number[];

  /** PyTorch's `_get_closed_form_lr` where it exists; otherwise `get_lr` is already closed. */
  protected closedFormLr(): number[] {
    return this.computeLr();
  }

  /** Momentum for the current `lastEpoch`, or null for schedulers that do not cycle it. */
  protected computeMomentum(): number[] | null {
    return null;
  }

  /** Extra progress fields beyond the common ones (e.g. warm-restart counters). */
  protected progressState(): Record<string, JsonValue> {
    return {};
  }

  /** Validates extra progress fields and returns the function that applies them. */
  protected parseProgressState(_rec: Record<string, unknown>): () => void {
    return () => {};
  }

  /** PyTorch's tail of `_LRScheduler.__init__`: record `initialLr`, then take step 0. */
  protected start(): void {
    const groups = this.groups();
    groups.forEach((g, i) => {
      if (g.initialLr === undefined) {
        g.initialLr = g.lr;
      } else if (typeof g.initialLr !== 'number' || !Number.isFinite(g.initialLr) || g.initialLr < 0) {
        throw new TypeError(
          `${this.schedulerName}: paramGroups[${i}].initialLr must be a finite number >= 0 (it is set by ` +
            `the first scheduler built on this optimizer), got ${String(g.initialLr)}`,
        );
      }
    });
    this.baseLrs = groups.map((g) => g.initialLr as number);
    this._initialStep();
  }

  /** The optimizer's groups, refusing to silently mis-zip if groups were added meanwhile. */
  protected groups(): ParamGroupLike[] {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.groupCount) {
      throw new RangeError(
        `${this.schedulerName}: the optimizer now has ${groups.length} param groups but the scheduler ` +
          `was built for ${this.groupCount}; build a new scheduler after adding groups`,
      );
    }
    return groups;
  }

  protected currentLrs(): number[] {
    return this.groups().map((g) => g.lr);
  }

  private advance(epoch: number, closedForm: boolean): void {
    const prevEpoch = this.lastEpoch;
    const prevCount = this.stepCount;
    this.stepCount += 1;
    this.lastEpoch = epoch;
    try {
      const lrs = closedForm ? this.closedFormLr() : this.computeLr();
      const momenta = this.computeMomentum();
      lrs.forEach((lr, i) => {
        if (!Number.isFinite(lr)) {
          throw new RangeError(
            `${this.schedulerName}: computed a non-finite learning rate (${lr}) for param group ${i} at step ${epoch}`,
          );
        }
      });
      this.writeGroups(lrs, momenta);
      this.lastLrs = this.currentLrs();
      if (momenta !== null) this.lastMomenta = [...momenta];
    } catch (err) {
      // A throwing step (e.g. OneCycleLR past totalSteps) must not leave the counter advanced,
      // or a caller that catches the error would resume one step off.
      this.lastEpoch = prevEpoch;
      this.stepCount = prevCount;
      throw err;
    }
  }

  private writeGroups(lrs: number[], momenta: number[] | null): void {
    const groups = this.groups();
    groups.forEach((g, i) => {
      g.lr = lrs[i];
    });
    const keys = this.momentumKeys;
    if (momenta !== null && keys !== null) {
      groups.forEach((g, i) => writeMomentum(g, keys[i], momenta[i]));
    }
  }
}

/** Python's `%`, whose result takes the divisor's sign (JS `%` takes the dividend's). */
export function pyMod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
