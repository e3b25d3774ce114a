import { LRScheduler } from './base';
import { momentumKeys } from './momentum';
import type { JsonValue, SchedulableOptimizer } from './types';
import { checkBoolean, checkEnum, checkInteger, checkNumber, perGroup, readOptions } from './validate';

export interface OneCycleLROptions {
  /** Peak lr, for every group or one per group. Required. */
  maxLr: number | number[];
  /** Length of the schedule; alternatively give `epochs` and `stepsPerEpoch`. Required unless those are given. */
  totalSteps?: number;
  /** With `stepsPerEpoch`, sets totalSteps = epochs * stepsPerEpoch. Required unless `totalSteps` is given. */
  epochs?: number;
  /** See `epochs`. Required unless `totalSteps` is given. */
  stepsPerEpoch?: number;
  /** Fraction of the steps spent warming up. Default 0.3. */
  pctStart?: number;
  /** Default 'cos'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle `momentum` / `betas[0]` inversely to the lr. Default true. */
  cycleMomentum?: boolean;
  /** Momentum at the lr peak. Default 0.85. */
  baseMomentum?: number | number[];
  /** Momentum at the start and end. Default 0.95. */
  maxMomentum?: number | number[];
  /** Initial lr = maxLr / divFactor. Default 25. */
  divFactor?: number;
  /** Final lr = initial lr / finalDivFactor. Default 1e4. */
  finalDivFactor?: number;
  /** Use the paper's three phases instead of fastai's two. Default false. */
  threePhase?: boolean;
}

type LrRef = 'initial' | 'max' | 'min';
type MomentumRef = 'base' | 'max';

interface Phase {
  endStep: number;
  startLr: LrRef;
  endLr: LrRef;
  startMomentum: MomentumRef;
  endMomentum: MomentumRef;
}

const NAME = 'OneCycleLR';
const KEYS = [
  'maxLr',
  'totalSteps',
  'epochs',
  'stepsPerEpoch',
  'pctStart',
  'annealStrategy',
  'cycleMomentum',
  'baseMomentum',
  'maxMomentum',
  'divFactor',
  'finalDivFactor',
  'threePhase',
] as const;

/**
 * The 1cycle policy, in closed form of the step number (so it is not chainable). It owns each
 * group's `initialLr` (maxLr / divFactor), as PyTorch does, overwriting any earlier value.
 */
export class OneCycleLR extends LRScheduler {
  totalSteps = 1;
  pctStart = 0.3;
  annealStrategy: 'cos' | 'linear' = 'cos';
  cycleMomentum = true;
  divFactor = 25;
  finalDivFactor = 1e4;
  threePhase = false;
  maxLrs: number[] = [];
  initialLrs: number[] = [];
  minLrs: number[] = [];
  baseMomenta: number[] = [];
  maxMomenta: number[] = [];

  constructor(optimizer: SchedulableOptimizer, options: OneCycleLROptions) {
    super(optimizer, NAME);
    this.loadOptions(options);
    this.start();
  }

  protected options(): Record<string, JsonValue> {
    return {
      maxLr: [...this.maxLrs],
      totalSteps: this.totalSteps,
      pctStart: this.pctStart,
      annealStrategy: this.annealStrategy,
      cycleMomentum: this.cycleMomentum,
      baseMomentum: [...this.baseMomenta],
      maxMomentum: [...this.maxMomenta],
      divFactor: this.divFactor,
      finalDivFactor: this.finalDivFactor,
      threePhase: this.threePhase,
    };
  }

  protected loadOptions(options: unknown): void {
    const o = readOptions(NAME, options, KEYS);
    const n = this.groupCount;
    let totalSteps: number;
    if (o.totalSteps !== undefined) {
      totalSteps = checkInteger(NAME, 'totalSteps', o.totalSteps, { min: 1 });
    } else if (o.epochs !== undefined || o.stepsPerEpoch !== undefined) {
      totalSteps =
        checkInteger(NAME, 'epochs', o.epochs, { min: 1 }) * checkInteger(NAME, 'stepsPerEpoch', o.stepsPerEpoch, { min: 1 });
    } else {
      throw new TypeError(`${NAME}: pass option 'totalSteps', or both 'epochs' and 'stepsPerEpoch'`);
    }
    const pctStart = checkNumber(NAME, 'pctStart', o.pctStart ?? 0.3, { min: 0, max: 1 });
    const threePhase = checkBoolean(NAME, 'threePhase', o.threePhase ?? false);
    if (threePhase && pctStart > 0.5) {
      // The symmetric warm-down would end after totalSteps and the last phase would run backwards.
      throw new RangeError(`${NAME}: option 'pctStart' must be <= 0.5 when threePhase is true, got ${pctStart}`);
    }
    const annealStrategy = checkEnum(NAME, 'annealStrategy', o.annealStrategy ?? 'cos', ['cos', 'linear'] as const);
    const cycleMomentum = checkBoolean(NAME, 'cycleMomentum', o.cycleMomentum ?? true);
    const momentum = (opt: string, v: unknown) => checkNumber(NAME, opt, v, { min: 0, max: 1 });
    const baseMomenta = perGroup(NAME, 'baseMomentum', o.baseMomentum ?? 0.85, n, momentum);
    const maxMomenta = perGroup(NAME, 'maxMomentum', o.maxMomentum ?? 0.95, n, momentum);
    const divFactor = checkNumber(NAME, 'divFactor', o.divFactor ?? 25, { min: 0, minExclusive: true });
    const finalDivFactor = checkNumber(NAME, 'finalDivFactor', o.finalDivFactor ?? 1e4, { min: 0, minExclusive: true });
    const maxLrs = perGroup(NAME, 'maxLr', o.maxLr, n, (opt, v) => checkNumber(NAME, opt, v, { min: 0, minExclusive: true }));
    const keys = cycleMomentum ? momentumKeys(NAME, this.groups()) : null;

    this.totalSteps = totalSteps;
    this.pctStart = pctStart;
    this.threePhase = threePhase;
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.baseMomenta = baseMomenta;
    this.maxMomenta = maxMomenta;
    this.divFactor = divFactor;
    this.finalDivFactor = finalDivFactor;
    this.maxLrs = maxLrs;
    this.initialLrs = maxLrs.map((m) => m / divFactor);
    this.minLrs = this.initialLrs.map((l) => l / finalDivFactor);
    this.momentumKeys = keys;
    this.groups().forEach((g, i) => {
      g.initialLr = this.initialLrs[i];
    });
  }

  protected computeLr(): number[] {
    const { phase, pct } = this.locate();
    return this.maxLrs.map((_, i) => this.anneal(this.lrRef(phase.startLr, i), this.lrRef(phase.endLr, i), pct));
  }

  protected override computeMomentum(): number[] | null {
    if (!this.cycleMomentum) return null;
    const { phase, pct } = this.locate();
    return this.maxMomenta.map((_, i) =>
      this.anneal(this.momentumRef(phase.startMomentum, i), this.momentumRef(phase.endMomentum, i), pct),
    );
  }

  private phases(): Phase[] {
    const T = this.totalSteps;
    const p = this.pctStart;
    if (this.threePhase) {
      return [
        { endStep: p * T - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
        { endStep: 2 * p * T - 2, startLr: 'max', endLr: 'initial', startMomentum: 'base', endMomentum: 'max' },
        { endStep: T - 1, startLr: 'initial', endLr: 'min', startMomentum: 'max', endMomentum: 'max' },
      ];
    }
    return [
      { endStep: p * T - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
      { endStep: T - 1, startLr: 'max', endLr: 'min', startMomentum: 'base', endMomentum: 'max' },
    ];
  }

  private locate(): { phase: Phase; pct: number } {
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new RangeError(
        `${NAME}: step ${step} is past the end of the schedule (totalSteps = ${this.totalSteps}); ` +
          `raise totalSteps or stop stepping`,
      );
    }
    const phases = this.phases();
    let startStep = 0;
    for (let i = 0; i < phases.length; i++) {
      const phase = phases[i];
      if (step <= phase.endStep || i === phases.length - 1) {
        // Two deliberate departures from PyTorch, both about never leaving [start, end]:
        // - a zero-length phase (pctStart * totalSteps exactly 1) is simply over and yields its
        //   end value, where PyTorch raises ZeroDivisionError;
        // - step === totalSteps, which PyTorch allows so the usual `for batch ...` loop does not
        //   throw, yields the final lr. PyTorch extrapolates past it there, which for 'linear'
        //   is a negative lr that the next optimizer step would use.
        const span = phase.endStep - startStep;
        const pct = span === 0 ? 1 : Math.min((step - startStep) / span, 1);
        return { phase, pct };
      }
      startStep = phase.endStep;
    }
    throw new Error('unreachable: the last phase always matches');
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    const cosOut = Math.cos(Math.PI * pct) + 1;
    return end + ((start - end) / 2.0) * cosOut;
  }

  private lrRef(ref: LrRef, i: number): number {
    if (ref === 'initial') return this.initialLrs[i];
    return ref === 'max' ? this.maxLrs[i] : this.minLrs[i];
  }

  private momentumRef(ref: MomentumRef, i: number): number {
    return ref === 'base' ? this.baseMomenta[i] : this.maxMomenta[i];
  }
}
