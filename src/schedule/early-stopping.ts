import type { JsonValue } from './types';
import {
  checkEnum,
  checkInteger,
  checkNumber,
  decodeNumber,
  encodeNumber,
  readOptions,
  stateError,
  stateInteger,
  stateRecord,
} from './validate';

export interface EarlyStoppingOptions {
  /** Steps without improvement tolerated; the `patience`-th such step returns true. Default 10. */
  patience?: number;
  /** How much better than the best a value must be to count as an improvement. Default 0. */
  minDelta?: number;
  /** 'min': lower is better (losses); 'max': higher is better (accuracy). Default 'min'. */
  mode?: 'min' | 'max';
}

const NAME = 'EarlyStopping';

/**
 * Tells a training loop when a validation metric has stopped improving.
 *
 * Improvement means strictly beating the best value by more than `minDelta`. NaN never improves,
 * so a diverged run runs out of patience instead of being mistaken for progress. Once it has
 * said stop it keeps saying stop until `reset()`.
 */
export class EarlyStopping {
  patience = 10;
  minDelta = 0;
  mode: 'min' | 'max' = 'min';
  /** Best metric seen, or null before the first non-NaN metric. */
  bestValue: number | null = null;
  /** Step (1-based count of `step` calls) at which `bestValue` was seen; 0 if none. */
  bestEpoch = 0;
  /** Consecutive steps without improvement. */
  numBadEpochs = 0;
  /** Number of `step` calls so far. */
  lastEpoch = 0;
  private stopped = false;

  constructor(options: EarlyStoppingOptions = {}) {
    this.loadOptions(options);
  }

  get shouldStop(): boolean {
    return this.stopped;
  }

  /** Records one metric value; returns true when training should stop now. */
  step(metric: number): boolean {
    if (typeof metric !== 'number') {
      throw new TypeError(`${NAME}.step: metric must be a number, got ${typeof metric}`);
    }
    this.lastEpoch += 1;
    if (this.improves(metric)) {
      this.bestValue = metric;
      this.bestEpoch = this.lastEpoch;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.numBadEpochs >= this.patience && this.numBadEpochs > 0) this.stopped = true;
    return this.stopped;
  }

  /** Starts over, keeping the options. */
  reset(): void {
    this.bestValue = null;
    this.bestEpoch = 0;
    this.numBadEpochs = 0;
    this.lastEpoch = 0;
    this.stopped = false;
  }

  stateDict(): { [key: string]: JsonValue } {
    return {
      type: NAME,
      lastEpoch: this.lastEpoch,
      bestValue: this.bestValue === null ? null : encodeNumber(this.bestValue),
      bestEpoch: this.bestEpoch,
      numBadEpochs: this.numBadEpochs,
      shouldStop: this.stopped,
      options: { patience: this.patience, minDelta: this.minDelta, mode: this.mode },
    };
  }

  loadStateDict(state: { [key: string]: JsonValue }): void {
    const rec = stateRecord(NAME, state, NAME);
    const lastEpoch = stateInteger(NAME, rec, 'lastEpoch');
    const bestEpoch = stateInteger(NAME, rec, 'bestEpoch');
    const numBadEpochs = stateInteger(NAME, rec, 'numBadEpochs');
    for (const [key, v] of [['lastEpoch', lastEpoch], ['bestEpoch', bestEpoch], ['numBadEpochs', numBadEpochs]] as const) {
      if (v < 0) stateError(NAME, key, 'an integer >= 0', v);
    }
    const bestValue = rec.bestValue === null ? null : decodeNumber(NAME, rec, 'bestValue');
    const stopped = rec.shouldStop;
    if (typeof stopped !== 'boolean') stateError(NAME, 'shouldStop', 'a boolean', stopped);
    this.loadOptions(rec.options);
    this.lastEpoch = lastEpoch;
    this.bestEpoch = bestEpoch;
    this.numBadEpochs = numBadEpochs;
    this.bestValue = bestValue;
    this.stopped = stopped;
  }

  private improves(metric: number): boolean {
    if (Number.isNaN(metric)) return false;
    if (this.bestValue === null) return true;
    return this.mode === 'min' ? metric < this.bestValue - this.minDelta : metric > this.bestValue + this.minDelta;
  }

  private loadOptions(options: unknown): void {
    const o = readOptions(NAME, options, ['patience', 'minDelta', 'mode']);
    const patience = checkInteger(NAME, 'patience', o.patience ?? 10, { min: 0 });
    const minDelta = checkNumber(NAME, 'minDelta', o.minDelta ?? 0, { min: 0 });
    const mode = checkEnum(NAME, 'mode', o.mode ?? 'min', ['min', 'max'] as const);
    this.patience = patience;
    this.minDelta = minDelta;
    this.mode = mode;
  }
}
