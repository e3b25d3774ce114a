import { LRScheduler } from './base';
import { momentumKeys } from './momentum';
import type { JsonValue, SchedulableOptimizer } from './types';
import { checkBoolean, checkEnum, checkFunction, checkNumber, perGroup, readOptions } from './validate';

export type CyclicMode = 'triangular' | 'triangular2' | 'exp_range';
export type CyclicScaleMode = 'cycle' | 'iterations';

export interface CyclicLROptions {
  /** Lower lr bound, for every group or one per group. Required. */
  baseLr: number | number[];
  /** Upper lr bound (amplitude = maxLr - baseLr), for every group or one per group. Required. */
  maxLr: number | number[];
  /** Steps in the rising half of a cycle. Default 2000. */
  stepSizeUp?: number;
  /** Steps in the falling half. Default `stepSizeUp`. */
  stepSizeDown?: number;
  /** Amplitude policy; ignored when `scaleFn` is given. Default 'triangular'. */
  mode?: CyclicMode;
  /** Base of 'exp_range' scaling: gamma ** step. Default 1. */
  gamma?: number;
  /** Custom amplitude scale in [0, 1]; overrides `mode`. Default: none (`mode` decides). */
  scaleFn?: (x: number) => number;
  /** What `scaleFn` receives: the cycle number or the step number. Default 'cycle'. */
  scaleMode?: CyclicScaleMode;
  /** Cycle `momentum` / `betas[0]` inversely to the lr. Default true. */
  cycleMomentum?: boolean;
  /** Momentum at the lr peak. Default 0.8. */
  baseMomentum?: number | number[];
  /** Momentum at the lr trough. Default 0.9. */
  maxMomentum?: number | number[];
}

const NAME = 'CyclicLR';
const KEYS = [
  'baseLr',
  'maxLr',
  'stepSizeUp',
  'stepSizeDown',
  'mode',
  'gamma',
  'scaleFn',
  'scaleMode',
  'cycleMomentum',
  'baseMomentum',
  'maxMomentum',
] as const;

/**
 * Cyclical learning rates (Smith 2017), closed form of the step number. Momentum cycling covers
 * `betas[0]` as in PyTorch 2.x (PyTorch 1.13 only knew `momentum`).
 */
export class CyclicLR extends LRScheduler {
  maxLrs: number[] = [];
  stepSizeUp = 2000;
  stepSizeDown = 2000;
  mode: CyclicMode = 'triangular';
  gamma = 1;
  scaleFn: ((x: number) => number) | null = null;
  scaleMode: CyclicScaleMode = 'cycle';
  cycleMomentum = true;
  baseMomenta: number[] = [];
  maxMomenta: number[] = [];
  private baseLrOption: number[] = [];
  private built = false;

  constructor(optimizer: SchedulableOptimizer, options: CyclicLROptions) {
    super(optimizer, NAME);
    this.loadOptions(options);
    // PyTorch puts base_lr into the groups before recording initial_lr, so a fresh optimizer's
    // initialLr becomes baseLr.
    this.groups().forEach((g, i) => {
      g.lr = this.baseLrOption[i];
    });
    this.start();
    this.baseLrs = [...this.baseLrOption];
    this.built = true;
  }

  get totalSize(): number {
    return this.stepSizeUp + this.stepSizeDown;
  }

  get stepRatio(): number {
    return this.stepSizeUp / this.totalSize;
  }

  protected options(): Record<string, JsonValue> {
    return {
      baseLr: [...this.baseLrOption],
      maxLr: [...this.maxLrs],
      stepSizeUp: this.stepSizeUp,
      stepSizeDown: this.stepSizeDown,
      mode: this.mode,
      gamma: this.gamma,
      scaleMode: this.scaleMode,
      cycleMomentum: this.cycleMomentum,
      baseMomentum: [...this.baseMomenta],
      maxMomentum: [...this.maxMomenta],
    };
  }

  protected loadOptions(options: unknown): void {
    const o = readOptions(NAME, options, KEYS);
    const n = this.groupCount;
    const nonNegative = (opt: string, v: unknown) => checkNumber(NAME, opt, v, { min: 0 });
    const baseLr = perGroup(NAME, 'baseLr', o.baseLr, n, nonNegative);
    const maxLr = perGroup(NAME, 'maxLr', o.maxLr, n, nonNegative);
    const stepSizeUp = checkNumber(NAME, 'stepSizeUp', o.stepSizeUp ?? 2000, { min: 0, minExclusive: true });
    // A zero-length fall is a legitimate sawtooth; a zero-length rise would divide by zero.
    const stepSizeDown = checkNumber(NAME, 'stepSizeDown', o.stepSizeDown ?? stepSizeUp, { min: 0 });
    const mode = checkEnum(NAME, 'mode', o.mode ?? 'triangular', ['triangular', 'triangular2', 'exp_range'] as const);
    const gamma = checkNumber(NAME, 'gamma', o.gamma ?? 1, { min: 0, minExclusive: true });
    // A saved state carries no function, so a loaded state keeps the one this instance was built with.
    const scaleFn =
      o.scaleFn !== undefined
        ? checkFunction<(x: number) => number>(NAME, 'scaleFn', o.scaleFn)
        : this.built
          ? this.scaleFn
          : null;
    let scaleMode: CyclicScaleMode;
    if (scaleFn !== null) {
      scaleMode = checkEnum(NAME, 'scaleMode', o.scaleMode ?? 'cycle', ['cycle', 'iterations'] as const);
    } else {
      if (o.scaleMode !== undefined) checkEnum(NAME, 'scaleMode', o.scaleMode, ['cycle', 'iterations'] as const);
      scaleMode = mode === 'exp_range' ? 'iterations' : 'cycle';
    }
    const cycleMomentum = checkBoolean(NAME, 'cycleMomentum', o.cycleMomentum ?? true);
    const momentum = (opt: string, v: unknown) => checkNumber(NAME, opt, v, { min: 0, max: 1 });
    const baseMomenta = perGroup(NAME, 'baseMomentum', o.baseMomentum ?? 0.8, n, momentum);
    const maxMomenta = perGroup(NAME, 'maxMomentum', o.maxMomentum ?? 0.9, n, momentum);
    const keys = cycleMomentum ? momentumKeys(NAME, this.groups()) : null;

    this.baseLrOption = baseLr;
    this.maxLrs = maxLr;
    this.stepSizeUp = stepSizeUp;
    this.stepSizeDown = stepSizeDown;
    this.mode = mode;
    this.gamma = gamma;
    this.scaleFn = scaleFn;
    this.scaleMode = scaleMode;
    this.cycleMomentum = cycleMomentum;
    this.baseMomenta = baseMomenta;
    this.maxMomenta = maxMomenta;
    this.momentumKeys = keys;
  }

  protected computeLr(): number[] {
    const { scaleFactor, scale } = this.position();
    return this.baseLrs.map((base, i) => {
      const baseHeight = (this.maxLrs[i] - base) * scaleFactor;
      return base + baseHeight * scale;
    });
  }

  protected override computeMomentum(): number[] | null {
    if (!this.cycleMomentum) return null;
    const { scaleFactor, scale } = this.position();
    return this.maxMomenta.map((max, i) => {
      const baseHeight = (max - this.baseMomenta[i]) * scaleFactor;
      return max - baseHeight * scale;
    });
  }

  private position(): { scaleFactor: number; scale: number } {
    const e = this.lastEpoch;
    const cycle = Math.floor(1 + e / this.totalSize);
    const x = 1 + e / this.totalSize - cycle;
    const ratio = this.stepRatio;
    const scaleFactor = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
    const arg = this.scaleMode === 'cycle' ? cycle : e;
    let scale: number;
    if (this.scaleFn !== null) {
      const s: unknown = this.scaleFn(arg);
      if (typeof s !== 'number' || !Number.isFinite(s)) {
        throw new RangeError(`${NAME}: scaleFn returned ${String(s)} for ${arg}; expected a finite number`);
      }
      scale = s;
    } else if (this.mode === 'triangular') {
      scale = 1;
    } else if (this.mode === 'triangular2') {
      scale = 1 / 2 ** (arg - 1);
    } else {
      scale = this.gamma ** arg;
    }
    return { scaleFactor, scale };
  }
}
