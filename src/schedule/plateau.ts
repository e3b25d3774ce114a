import type { JsonValue, ParamGroupLike, SchedulableOptimizer } from './types';
import {
  checkEnum,
  checkInteger,
  checkNumber,
  checkOptimizer,
  decodeNumber,
  encodeNumber,
  perGroup,
  readOptions,
  stateError,
  stateInteger,
  stateNumbers,
  stateRecord,
} from './validate';

export interface ReduceLROnPlateauOptions {
  /** 'min': lower metric is better (losses); 'max': higher is better (accuracy). Default 'min'. */
  mode?: 'min' | 'max';
  /** new lr = lr * factor; in [0, 1). Default 0.1. */
  factor?: number;
  /** Bad steps tolerated before reducing. Default 10. */
  patience?: number;
  /** Minimum change that counts as an improvement. Default 1e-4. */
  threshold?: number;
  /** 'rel': relative to the best value; 'abs': absolute. Default 'rel'. */
  thresholdMode?: 'rel' | 'abs';
  /** Steps to wait after a reduction before counting bad steps again. Default 0. */
  cooldown?: number;
  /** Floor on the lr, for every group or one per group. Default 0. */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped. Default 1e-8. */
  eps?: number;
}

const NAME = 'ReduceLROnPlateau';
const KEYS = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'] as const;

/**
 * Cuts the lr by `factor` once a metric stops improving for more than `patience` steps. Unlike
 * the other schedulers it is driven by `step(metric)` and does not touch the groups when built.
 */
export class ReduceLROnPlateau {
  readonly optimizer: SchedulableOptimizer;
  mode: 'min' | 'max' = 'min';
  factor = 0.1;
  patience = 10;
  threshold = 1e-4;
  thresholdMode: 'rel' | 'abs' = 'rel';
  cooldown = 0;
  minLrs: number[] = [];
  eps = 1e-8;
  /** Best metric so far; starts at the worst possible value for the mode. */
  best = Infinity;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private readonly groupCount: number;
  private lastLrs: number[];

  constructor(optimizer: SchedulableOptimizer, options: ReduceLROnPlateauOptions = {}) {
    this.groupCount = checkOptimizer(NAME, optimizer).length;
    this.optimizer = optimizer;
    this.loadOptions(options);
    this.reset();
    this.lastLrs = this.groups().map((g) => g.lr);
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  /** Feeds one metric value; NaN counts as "no improvement". */
  step(metric: number): void {
    if (typeof metric !== 'number') {
      throw new TypeError(`${NAME}.step: metric must be a number, got ${typeof metric}`);
    }
    const groups = this.groups();
    this.lastEpoch += 1;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr(groups);
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLrs = groups.map((g) => g.lr);
  }

  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') {
      return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    }
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  stateDict(): { [key: string]: JsonValue } {
    return {
      type: NAME,
      lastEpoch: this.lastEpoch,
      best: encodeNumber(this.best),
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastLr: [...this.lastLrs],
      options: {
        mode: this.mode,
        factor: this.factor,
        patience: this.patience,
        threshold: this.threshold,
        thresholdMode: this.thresholdMode,
        cooldown: this.cooldown,
        minLr: [...this.minLrs],
        eps: this.eps,
      },
    };
  }

  /** Restores counters and options, and writes the saved lr back into the param groups. */
  loadStateDict(state: { [key: string]: JsonValue }): void {
    const rec = stateRecord(NAME, state, NAME);
    const lastEpoch = stateInteger(NAME, rec, 'lastEpoch');
    const best = decodeNumber(NAME, rec, 'best');
    const numBadEpochs = stateInteger(NAME, rec, 'numBadEpochs');
    const cooldownCounter = stateInteger(NAME, rec, 'cooldownCounter');
    if (numBadEpochs < 0) stateError(NAME, 'numBadEpochs', 'an integer >= 0', numBadEpochs);
    if (cooldownCounter < 0) stateError(NAME, 'cooldownCounter', 'an integer >= 0', cooldownCounter);
    const lastLr = stateNumbers(NAME, rec, 'lastLr', this.groupCount);
    this.loadOptions(rec.options);
    this.lastEpoch = lastEpoch;
    this.best = best;
    this.numBadEpochs = numBadEpochs;
    this.cooldownCounter = cooldownCounter;
    this.lastLrs = lastLr;
    this.groups().forEach((g, i) => {
      g.lr = lastLr[i];
    });
  }

  private reset(): void {
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.cooldownCounter = 0;
    this.numBadEpochs = 0;
  }

  private reduceLr(groups: ParamGroupLike[]): void {
    groups.forEach((g, i) => {
      const oldLr = g.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
      // Skipping tiny cuts keeps an lr already sitting at minLr from being "reduced" forever.
      if (oldLr - newLr > this.eps) g.lr = newLr;
    });
  }

  private loadOptions(options: unknown): void {
    const o = readOptions(NAME, options, KEYS);
    const mode = checkEnum(NAME, 'mode', o.mode ?? 'min', ['min', 'max'] as const);
    // factor >= 1 would never reduce (PyTorch rejects it too); negative would flip the sign.
    const factor = checkNumber(NAME, 'factor', o.factor ?? 0.1, { min: 0, max: 1, maxExclusive: true });
    const patience = checkInteger(NAME, 'patience', o.patience ?? 10, { min: 0 });
    const threshold = checkNumber(NAME, 'threshold', o.threshold ?? 1e-4, { min: 0 });
    const thresholdMode = checkEnum(NAME, 'thresholdMode', o.thresholdMode ?? 'rel', ['rel', 'abs'] as const);
    const cooldown = checkInteger(NAME, 'cooldown', o.cooldown ?? 0, { min: 0 });
    const minLrs = perGroup(NAME, 'minLr', o.minLr ?? 0, this.groupCount, (opt, v) => checkNumber(NAME, opt, v, { min: 0 }));
    const eps = checkNumber(NAME, 'eps', o.eps ?? 1e-8, { min: 0 });
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.minLrs = minLrs;
    this.eps = eps;
  }

  private groups(): ParamGroupLike[] {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.groupCount) {
      throw new RangeError(
        `${NAME}: the optimizer now has ${groups.length} param groups but the scheduler was built for ${this.groupCount}`,
      );
    }
    return groups;
  }
}
