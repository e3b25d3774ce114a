import { LRScheduler } from './base';
import { momentumKeys, readMomentum, writeMomentum } from './momentum';
import type { JsonValue, SchedulableOptimizer, SchedulerStateDict } from './types';
import {
  checkMilestones,
  readOptions,
  stateError,
  stateInteger,
  stateNumbers,
  stateRecord,
  typeError,
} from './validate';

export interface SequentialLROptions {
  /** Schedulers built on the same optimizer, run one after another. Required. */
  schedulers: LRScheduler[];
  /** Step at which each scheduler after the first takes over; strictly increasing, one fewer than schedulers. Required. */
  milestones: number[];
}

export interface ChainedSchedulerOptions {
  /** Chainable schedulers built on the same optimizer, all stepped on every `step()`. Required. */
  schedulers: LRScheduler[];
}

function checkChildren(
  owner: string,
  value: unknown,
  optimizer: SchedulableOptimizer,
  restartable: boolean,
): LRScheduler[] {
  if (!Array.isArray(value) || value.length === 0) typeError(owner, 'schedulers', 'a non-empty array of schedulers', value);
  value.forEach((s: unknown, i) => {
    if (!(s instanceof LRScheduler)) {
      // ReduceLROnPlateau lands here: it needs a metric, which a container cannot supply.
      const what = s !== null && typeof s === 'object' ? s.constructor.name : typeof s;
      throw new TypeError(`${owner}: option 'schedulers[${i}]' must be an epoch-based LR scheduler, got ${what}`);
    }
    if (s.optimizer !== optimizer) {
      throw new TypeError(`${owner}: option 'schedulers[${i}]' is built on a different optimizer than the one passed in`);
    }
    if (value.indexOf(s) !== i) {
      throw new TypeError(`${owner}: option 'schedulers' lists the same scheduler twice (index ${value.indexOf(s)} and ${i})`);
    }
    if (restartable && (s instanceof SequentialLR || s instanceof ChainedScheduler)) {
      // SequentialLR restarts children in closed form at step 0, which a container cannot do.
      throw new TypeError(`${owner}: option 'schedulers[${i}]' cannot be a ${s.constructor.name}`);
    }
  });
  return [...(value as LRScheduler[])];
}

/**
 * Shared state handling: children are saved whole, and because stale children would otherwise
 * write their own stale lr / momentum into the groups when loaded, the container restores the
 * group values it last saw after loading them.
 */
abstract class SchedulerContainer extends LRScheduler {
  readonly schedulers: LRScheduler[];

  protected constructor(optimizer: SchedulableOptimizer, name: string, schedulers: LRScheduler[]) {
    super(optimizer, name);
    this.schedulers = schedulers;
  }

  override stateDict(): SchedulerStateDict {
    const children = this.schedulers.map((s) => s.stateDict());
    const state: SchedulerStateDict = {
      type: this.schedulerName,
      lastEpoch: this.lastEpoch,
      stepCount: this.stepCount,
      baseLrs: [...this.baseLrs],
      lastLr: [...this.lastLrs],
      options: this.options(),
      schedulers: children,
    };
    if (children.some((c) => c.lastMomentum !== undefined)) {
      const groups = this.groups();
      const keys = momentumKeys(this.schedulerName, groups);
      state.lastMomentum = groups.map((g, i) => readMomentum(g, keys[i]));
    }
    return state;
  }

  override loadStateDict(state: SchedulerStateDict): void {
    const owner = this.schedulerName;
    const rec = stateRecord(owner, state, owner);
    const lastEpoch = stateInteger(owner, rec, 'lastEpoch');
    const stepCount = stateInteger(owner, rec, 'stepCount');
    const baseLrs = stateNumbers(owner, rec, 'baseLrs', this.groupCount);
    const lastLr = stateNumbers(owner, rec, 'lastLr', this.groupCount);
    const lastMomentum = rec.lastMomentum === undefined ? null : stateNumbers(owner, rec, 'lastMomentum', this.groupCount);
    const children = rec.schedulers;
    if (!Array.isArray(children) || children.length !== this.schedulers.length) {
      stateError(owner, 'schedulers', `an array of ${this.schedulers.length} scheduler states`, children);
    }
    this.schedulers.forEach((s, i) => {
      const type = (children[i] as { type?: unknown } | null)?.type;
      if (type !== s.stateDict().type) {
        stateError(owner, `schedulers[${i}].type`, `'${String(s.stateDict().type)}'`, type);
      }
    });
    this.loadOptions(rec.options);
    this.schedulers.forEach((s, i) => s.loadStateDict(children[i] as SchedulerStateDict));
    this.lastEpoch = lastEpoch;
    this.stepCount = stepCount;
    this.baseLrs = baseLrs;
    this.lastLrs = lastLr;
    const groups = this.groups();
    groups.forEach((g, i) => {
      g.lr = lastLr[i];
    });
    if (lastMomentum !== null) {
      const keys = momentumKeys(owner, groups);
      groups.forEach((g, i) => writeMomentum(g, keys[i], lastMomentum[i]));
    }
  }

  /** Containers override `step()`; this only satisfies the base contract. */
  protected computeLr(): number[] {
    return this.currentLrs();
  }
}

/**
 * Runs schedulers back to back: `schedulers[k]` drives the lr from `milestones[k - 1]` on, and
 * is restarted at its own step 0 when it takes over (e.g. LinearLR warm-up, then cosine).
 */
export class SequentialLR extends SchedulerContainer {
  milestones: number[];

  constructor(optimizer: SchedulableOptimizer, options: SequentialLROptions) {
    const o = readOptions('SequentialLR', options, ['schedulers', 'milestones']);
    super(optimizer, 'SequentialLR', checkChildren('SequentialLR', o.schedulers, optimizer, true));
    this.milestones = this.parseMilestones(o.milestones);
    const groups = this.groups();
    groups.forEach((g, i) => {
      if (typeof g.initialLr !== 'number') {
        throw new TypeError(`SequentialLR: paramGroups[${i}].initialLr is missing; build the child schedulers first`);
      }
    });
    // PyTorch's construction dance: every child already took its initial step when it was
    // built, so rewind them all and replay only the first child's.
    this.lastEpoch = 0;
    groups.forEach((g) => {
      g.lr = g.initialLr as number;
    });
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0]._initialStep();
    this.lastLrs = this.schedulers[0].getLastLr();
    this.baseLrs = groups.map((g) => g.initialLr as number);
  }

  override step(): void {
    const epoch = this.lastEpoch + 1;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx] <= epoch) idx++;
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === epoch) s._stepAt(0);
    else s.step();
    this.lastEpoch = epoch;
    this.stepCount += 1;
    this.lastLrs = s.getLastLr();
  }

  protected options(): Record<string, JsonValue> {
    return { milestones: [...this.milestones] };
  }

  protected loadOptions(options: unknown): void {
    const o = readOptions('SequentialLR', options, ['milestones']);
    this.milestones = this.parseMilestones(o.milestones);
  }

  private parseMilestones(value: unknown): number[] {
    const milestones = checkMilestones('SequentialLR', 'milestones', value, 1);
    if (milestones.length !== this.schedulers.length - 1) {
      throw new RangeError(
        `SequentialLR: option 'milestones' must have one entry fewer than 'schedulers' ` +
          `(${this.schedulers.length - 1}), got ${milestones.length}`,
      );
    }
    return milestones;
  }
}

/** Steps every scheduler on each `step()`, so their chainable updates compose multiplicatively. */
export class ChainedScheduler extends SchedulerContainer {
  constructor(optimizer: SchedulableOptimizer, options: ChainedSchedulerOptions) {
    const o = readOptions('ChainedScheduler', options, ['schedulers']);
    super(optimizer, 'ChainedScheduler', checkChildren('ChainedScheduler', o.schedulers, optimizer, false));
    this.lastEpoch = 0;
    this.lastLrs = this.currentLrs();
    this.baseLrs = [...this.schedulers[0].baseLrs];
  }

  override step(): void {
    for (const s of this.schedulers) s.step();
    this.lastEpoch += 1;
    this.stepCount += 1;
    this.lastLrs = this.currentLrs();
  }

  protected options(): Record<string, JsonValue> {
    return {};
  }

  protected loadOptions(options: unknown): void {
    readOptions('ChainedScheduler', options, []);
  }
}
