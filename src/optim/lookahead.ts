import { lookaheadSync } from '../functional/tensors';
import { checkNumber, isFloat32Array, tensorLength } from '../functional/validate';
import type { Optimizer, ParamGroup, Parameter, StateDict, StepOptions, ZeroGradOptions } from './optimizer';
import { parameterLength } from './state';

export interface LookaheadOptions {
  /** Inner steps between syncs. Default 5. */
  k: number;
  /** How far the slow weights move toward the fast ones at a sync (0 to 1). Default 0.5. */
  alpha: number;
}

export interface LookaheadStateDict {
  /** 'Lookahead'; absent in state dicts written before it was recorded. */
  type?: 'Lookahead';
  optimizer: StateDict;
  k: number;
  alpha: number;
  stepCount: number;
  /** Slow weights by parameter position, as in StateDict.state. */
  slow: Record<number, Float32Array>;
}

/**
 * Lookahead (Zhang et al., 2019) around any optimizer: every k steps the slow weights move
 * alpha of the way to the fast ones and the fast weights restart from them (one fused call).
 * Schedulers can drive it directly: paramGroups is the inner optimizer's.
 */
export class Lookahead<Options extends object = object> {
  readonly k: number;
  readonly alpha: number;
  private stepCount = 0;
  private readonly slow = new Map<Parameter, Float32Array>();

  constructor(
    readonly optimizer: Optimizer<Options>,
    { k = 5, alpha = 0.5 }: Partial<LookaheadOptions> = {},
  ) {
    this.k = checkNumber('k', k, { min: 1, integer: true });
    this.alpha = checkNumber('alpha', alpha, { min: 0, max: 1 });
  }

  get paramGroups(): Array<ParamGroup & Options> {
    return this.optimizer.paramGroups;
  }

  private params(): Parameter[] {
    return this.optimizer.paramGroups.flatMap((g) => g.params);
  }

  step(options: StepOptions = {}): boolean {
    this.captureSlowWeights();
    if (!this.optimizer.step(options)) return false;
    this.afterStep();
    return true;
  }

  /** The inner stepAsync(); the sync every k steps is one short call after it. */
  async stepAsync(options: StepOptions = {}): Promise<boolean> {
    this.captureSlowWeights();
    if (!(await this.optimizer.stepAsync(options))) return false;
    this.afterStep();
    return true;
  }

  /**
   * Slow weights start as the weights the first step sees (the paper's φ₀ = θ₀), not those at
   * construction: weights loaded after building the optimizer, and groups added later, count.
   */
  private captureSlowWeights(): void {
    for (const p of this.params()) if (!this.slow.has(p) && isFloat32Array(p.data)) this.slow.set(p, new Float32Array(p.data));
  }

  private afterStep(): void {
    // Counted only once the sync it may owe has run: a refused sync is owed again next step.
    const count = this.stepCount + 1;
    if (count % this.k === 0) {
      const params = this.params();
      lookaheadSync(params.map((p) => this.slow.get(p) as Float32Array), params.map((p) => p.data), this.alpha);
    }
    this.stepCount = count;
  }

  zeroGrad(options?: ZeroGradOptions): void {
    this.optimizer.zeroGrad(options);
  }

  /** A deep snapshot (see Optimizer.stateDict): no later step changes it. */
  stateDict(): LookaheadStateDict {
    return this.collectState(this.optimizer.stateDict(), (s) => s.slice());
  }

  /** stateDict() sharing the slow weights and the inner state buffers (see Optimizer.zeroCopyStateDict). */
  zeroCopyStateDict(): LookaheadStateDict {
    return this.collectState(this.optimizer.zeroCopyStateDict(), (s) => s);
  }

  private collectState(optimizer: StateDict, copy: (s: Float32Array) => Float32Array): LookaheadStateDict {
    const slow: Record<number, Float32Array> = {};
    this.params().forEach((p, i) => {
      const s = this.slow.get(p);
      if (s) slow[i] = copy(s);
    });
    return { type: 'Lookahead', optimizer, k: this.k, alpha: this.alpha, stepCount: this.stepCount, slow };
  }

  /** Restores a Lookahead state dict (copying it); checks everything first, changes nothing on refusal. */
  loadStateDict(sd: LookaheadStateDict): void {
    if (sd === null || typeof sd !== 'object') throw new TypeError('stateDict must be an object');
    const type: unknown = sd.type;
    if (type !== undefined && type !== 'Lookahead')
      throw new TypeError(`stateDict is for ${String(type)}, not Lookahead: load it into a ${String(type)} optimizer`);
    const stepCount = checkNumber('stateDict.stepCount', sd.stepCount, { min: 0, integer: true });
    if (sd.k !== this.k || sd.alpha !== this.alpha)
      throw new RangeError(`stateDict is for Lookahead k=${sd.k}, alpha=${sd.alpha}; this one has k=${this.k}, alpha=${this.alpha}`);
    const params = this.params();
    const slow = new Map<Parameter, Float32Array>();
    for (const [key, value] of Object.entries(sd.slow ?? {})) {
      const p = params[Number(key)];
      if (p === undefined) throw new RangeError(`stateDict.slow[${key}] matches no parameter`);
      if (!isFloat32Array(value) || tensorLength(value) !== parameterLength(p))
        throw new RangeError(`stateDict.slow[${key}] must be a Float32Array of length ${parameterLength(p)}`);
      slow.set(p, new Float32Array(value));
    }
    this.optimizer.loadStateDict(sd.optimizer);
    this.stepCount = stepCount;
    this.slow.clear();
    for (const [p, s] of slow) this.slow.set(p, s);
  }
}
