import { LRScheduler, pyMod } from './base';
import type { JsonValue, SchedulableOptimizer } from './types';
import { checkInteger, checkNumber, readOptions, stateError, stateNumber } from './validate';

export interface CosineAnnealingLROptions {
  /** Half-period in steps: the lr reaches `etaMin` at step `tMax`, then rises again. Required. */
  tMax: number;
  /** Lower bound of the lr. Default 0. */
  etaMin?: number;
}

/**
 * PyTorch's recursive (chainable) cosine annealing. Each step rescales the *current* lr by the
 * ratio of consecutive cosine terms rather than evaluating the closed form, which is what makes
 * it stackable and what makes its rounding differ from the closed form; both are reproduced.
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax = 1;
  etaMin = 0;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingLROptions) {
    super(optimizer, 'CosineAnnealingLR');
    this.loadOptions(options);
    this.start();
  }

  protected options(): Record<string, JsonValue> {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }

  protected loadOptions(options: unknown): void {
    const o = readOptions('CosineAnnealingLR', options, ['tMax', 'etaMin']);
    const tMax = checkInteger('CosineAnnealingLR', 'tMax', o.tMax, { min: 1 });
    const etaMin = checkNumber('CosineAnnealingLR', 'etaMin', o.etaMin ?? 0, { min: 0 });
    this.tMax = tMax;
    this.etaMin = etaMin;
  }

  protected computeLr(): number[] {
    const e = this.lastEpoch;
    const T = this.tMax;
    const eta = this.etaMin;
    if (e === 0) return this.currentLrs();
    if (this.stepCount === 1 && e > 0) {
      return this.baseLrs.map((b) => eta + ((b - eta) * (1 + Math.cos((e * Math.PI) / T))) / 2);
    }
    if (pyMod(e - 1 - T, 2 * T) === 0) {
      // At the trough the ratio below would divide by 1 + cos(pi) = 0, so PyTorch steps by the
      // closed-form increment instead.
      return this.currentLrs().map((lr, i) => lr + ((this.baseLrs[i] - eta) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    const ratio = (1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T));
    return this.currentLrs().map((lr) => ratio * (lr - eta) + eta);
  }

  protected override closedFormLr(): number[] {
    const e = this.lastEpoch;
    return this.baseLrs.map(
      (b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * e) / this.tMax))) / 2,
    );
  }
}

export interface CosineAnnealingWarmRestartsOptions {
  /** Length of the first cycle in steps. Required. */
  t0: number;
  /** Each cycle is this many times longer than the previous one. Default 1. */
  tMult?: number;
  /** Lower bound of the lr. Default 0. */
  etaMin?: number;
}

/** SGDR: closed-form cosine from each group's initial lr down to `etaMin`, restarting every cycle. */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  t0 = 1;
  tMult = 1;
  etaMin = 0;
  /** Length of the current cycle. */
  tI = 1;
  /** Steps taken within the current cycle. */
  tCur = -1;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingWarmRestartsOptions) {
    super(optimizer, 'CosineAnnealingWarmRestarts');
    this.loadOptions(options);
    this.tI = this.t0;
    this.tCur = -1;
    this.start();
  }

  override step(): void {
    if (this.lastEpoch < 0) {
      this._stepAt(0);
      return;
    }
    let tCur = this.tCur + 1;
    let tI = this.tI;
    if (tCur >= tI) {
      tCur -= tI;
      tI *= this.tMult;
    }
    this.moveTo(this.lastEpoch + 1, tCur, tI);
  }

  override _stepAt(epoch: number): void {
    if (!(epoch >= 0)) throw new RangeError(`CosineAnnealingWarmRestarts: expected a non-negative epoch, got ${epoch}`);
    let tCur: number;
    let tI = this.tI;
    if (epoch >= this.t0) {
      if (this.tMult === 1) {
        tCur = epoch % this.t0;
      } else {
        const n = Math.trunc(Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
        tCur = epoch - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
        tI = this.t0 * this.tMult ** n;
      }
    } else {
      tI = this.t0;
      tCur = epoch;
    }
    this.moveTo(Math.floor(epoch), tCur, tI);
  }

  protected options(): Record<string, JsonValue> {
    return { t0: this.t0, tMult: this.tMult, etaMin: this.etaMin };
  }

  protected loadOptions(options: unknown): void {
    const o = readOptions('CosineAnnealingWarmRestarts', options, ['t0', 'tMult', 'etaMin']);
    const t0 = checkInteger('CosineAnnealingWarmRestarts', 't0', o.t0, { min: 1 });
    const tMult = checkInteger('CosineAnnealingWarmRestarts', 'tMult', o.tMult ?? 1, { min: 1 });
    const etaMin = checkNumber('CosineAnnealingWarmRestarts', 'etaMin', o.etaMin ?? 0, { min: 0 });
    this.t0 = t0;
    this.tMult = tMult;
    this.etaMin = etaMin;
  }

  protected override progressState(): Record<string, JsonValue> {
    return { tI: this.tI, tCur: this.tCur };
  }

  protected override parseProgressState(rec: Record<string, unknown>): () => void {
    const owner = 'CosineAnnealingWarmRestarts';
    const tI = stateNumber(owner, rec, 'tI');
    const tCur = stateNumber(owner, rec, 'tCur');
    if (!(tI > 0)) stateError(owner, 'tI', 'a positive number', tI);
    return () => {
      this.tI = tI;
      this.tCur = tCur;
    };
  }

  protected computeLr(): number[] {
    return this.baseLrs.map(
      (b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2,
    );
  }

  private moveTo(epoch: number, tCur: number, tI: number): void {
    const prev = [this.tCur, this.tI] as const;
    this.tCur = tCur;
    this.tI = tI;
    try {
      super._stepAt(epoch);
    } catch (err) {
      [this.tCur, this.tI] = prev;
      throw err;
    }
  }
}
