import { checkBoolean, checkFunction, checkNumber, rangeError, readOptions } from './validate';

export type GradientHealth = 'vanishing' | 'low' | 'healthy' | 'high' | 'exploding' | 'nonfinite';

/** The kinds worth interrupting someone for; 'low' and 'high' are only counted. */
export type GradientWarningKind = 'vanishing' | 'exploding' | 'nonfinite';

export interface GradientHealthOptions {
  /** Norms below this are 'vanishing'. Default 1e-3. */
  vanishingBelow?: number;
  /** Start of the 'healthy' band (inclusive). Default 0.1. */
  healthyFrom?: number;
  /** End of the 'healthy' band (inclusive). Default 10. */
  healthyTo?: number;
  /** Norms above this are 'exploding'. Default 100. */
  explodingAbove?: number;
  /** Warn only the first time each kind occurs (until `reset()`). Default true. */
  warnOnce?: boolean;
  /** Receives warning messages. Default: `process.emitWarning`. */
  onWarn?: (message: string, kind: GradientWarningKind) => void;
}

const NAME = 'GradientHealthMonitor';
const KINDS: readonly GradientHealth[] = ['vanishing', 'low', 'healthy', 'high', 'exploding', 'nonfinite'];

function emitProcessWarning(message: string): void {
  process.emitWarning(message, { type: 'GradientHealthWarning' });
}

/**
 * Classifies gradient norms (e.g. the total norm returned by gradient clipping) into bands and
 * warns about vanishing, exploding or non-finite gradients, by default once per kind per run so a
 * long run does not drown its log in the same message.
 */
export class GradientHealthMonitor {
  readonly vanishingBelow: number;
  readonly healthyFrom: number;
  readonly healthyTo: number;
  readonly explodingAbove: number;
  readonly warnOnce: boolean;
  private readonly onWarn: (message: string, kind: GradientWarningKind) => void;
  private readonly tally: Record<GradientHealth, number>;
  private readonly warned = new Set<GradientWarningKind>();
  private observed = 0;

  constructor(options: GradientHealthOptions = {}) {
    const o = readOptions(NAME, options, [
      'vanishingBelow',
      'healthyFrom',
      'healthyTo',
      'explodingAbove',
      'warnOnce',
      'onWarn',
    ]);
    const vanishingBelow = checkNumber(NAME, 'vanishingBelow', o.vanishingBelow ?? 1e-3, { min: 0 });
    const healthyFrom = checkNumber(NAME, 'healthyFrom', o.healthyFrom ?? 0.1, { min: 0 });
    const healthyTo = checkNumber(NAME, 'healthyTo', o.healthyTo ?? 10, { min: 0 });
    const explodingAbove = checkNumber(NAME, 'explodingAbove', o.explodingAbove ?? 100, { min: 0 });
    // Overlapping bands would make the classification depend on test order.
    if (healthyFrom < vanishingBelow) rangeError(NAME, 'healthyFrom', `>= vanishingBelow (${vanishingBelow})`, healthyFrom);
    if (healthyTo < healthyFrom) rangeError(NAME, 'healthyTo', `>= healthyFrom (${healthyFrom})`, healthyTo);
    if (explodingAbove < healthyTo) rangeError(NAME, 'explodingAbove', `>= healthyTo (${healthyTo})`, explodingAbove);
    this.vanishingBelow = vanishingBelow;
    this.healthyFrom = healthyFrom;
    this.healthyTo = healthyTo;
    this.explodingAbove = explodingAbove;
    this.warnOnce = checkBoolean(NAME, 'warnOnce', o.warnOnce ?? true);
    this.onWarn =
      o.onWarn === undefined
        ? emitProcessWarning
        : checkFunction<(message: string, kind: GradientWarningKind) => void>(NAME, 'onWarn', o.onWarn);
    this.tally = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<GradientHealth, number>;
  }

  /** Pure classification; does not count or warn. */
  classify(norm: number): GradientHealth {
    if (typeof norm !== 'number') throw new TypeError(`${NAME}.classify: norm must be a number, got ${typeof norm}`);
    if (!Number.isFinite(norm)) return 'nonfinite';
    if (norm < 0) throw new RangeError(`${NAME}.classify: norm must be >= 0, got ${norm}`);
    if (norm < this.vanishingBelow) return 'vanishing';
    if (norm < this.healthyFrom) return 'low';
    if (norm <= this.healthyTo) return 'healthy';
    if (norm <= this.explodingAbove) return 'high';
    return 'exploding';
  }

  /** Classifies, counts, and warns about vanishing / exploding / non-finite norms. */
  observe(norm: number): GradientHealth {
    const kind = this.classify(norm);
    this.observed += 1;
    this.tally[kind] += 1;
    if (kind === 'vanishing' || kind === 'exploding' || kind === 'nonfinite') {
      if (!this.warnOnce || !this.warned.has(kind)) {
        this.warned.add(kind);
        this.onWarn(this.message(kind, norm), kind);
      }
    }
    return kind;
  }

  /** How many observed norms fell in each band. */
  get counts(): Readonly<Record<GradientHealth, number>> {
    return { ...this.tally };
  }

  /** Total number of `observe` calls. */
  get observations(): number {
    return this.observed;
  }

  /** Clears counts and the warned-once memory, e.g. at the start of a new run. */
  reset(): void {
    for (const k of KINDS) this.tally[k] = 0;
    this.warned.clear();
    this.observed = 0;
  }

  private message(kind: GradientWarningKind, norm: number): string {
    const at = `at observation ${this.observed}`;
    const once = this.warnOnce ? ' (further occurrences are counted, not reported)' : '';
    if (kind === 'nonfinite') {
      return `gradient norm is ${norm} ${at}: the loss or gradients overflowed or produced NaN${once}`;
    }
    if (kind === 'vanishing') {
      return `gradient norm ${norm} is below ${this.vanishingBelow} ${at}: gradients are vanishing${once}`;
    }
    return `gradient norm ${norm} is above ${this.explodingAbove} ${at}: gradients are exploding; consider clipping or a lower lr${once}`;
  }
}
