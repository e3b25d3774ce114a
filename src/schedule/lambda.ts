import { LRScheduler } from './base';
import type { JsonValue, SchedulableOptimizer } from './types';
import { readOptions } from './validate';

/** Maps the step number to a factor. */
export type LrLambda = (epoch: number) => number;

export interface LambdaLROptions {
  /** One function for every group, or one per group. Required. */
  lrLambda: LrLambda | LrLambda[];
}

function readLambdas(owner: string, options: unknown, groupCount: number): LrLambda[] {
  const o = readOptions(owner, options, ['lrLambda']);
  const fns = o.lrLambda;
  if (typeof fns === 'function') return new Array<LrLambda>(groupCount).fill(fns as LrLambda);
  if (!Array.isArray(fns)) {
    throw new TypeError(`${owner}: option 'lrLambda' must be a function or an array of functions, got ${typeof fns}`);
  }
  if (fns.length !== groupCount) {
    throw new RangeError(`${owner}: option 'lrLambda' must have one function per param group (${groupCount}), got ${fns.length}`);
  }
  fns.forEach((f, i) => {
    if (typeof f !== 'function') throw new TypeError(`${owner}: option 'lrLambda[${i}]' must be a function, got ${typeof f}`);
  });
  return [...(fns as LrLambda[])];
}

/** Calls a user lambda and refuses anything that is not a usable factor. */
function factor(owner: string, fn: LrLambda, epoch: number, group: number): number {
  const f: unknown = fn(epoch);
  if (typeof f !== 'number' || !Number.isFinite(f) || f < 0) {
    throw new RangeError(
      `${owner}: lrLambda for param group ${group} returned ${String(f)} at step ${epoch}; expected a finite number >= 0`,
    );
  }
  return f;
}

/**
 * Functions cannot be serialized, so state dicts carry no lambdas (PyTorch stores `None` for
 * plain functions too); the scheduler being loaded into keeps the lambdas it was built with.
 */
function checkSavedOptions(owner: string, options: unknown): void {
  readOptions(owner, options, []);
}

/** lr = initial lr * lrLambda(step). */
export class LambdaLR extends LRScheduler {
  lrLambdas: LrLambda[];

  constructor(optimizer: SchedulableOptimizer, options: LambdaLROptions) {
    super(optimizer, 'LambdaLR');
    this.lrLambdas = readLambdas('LambdaLR', options, this.groupCount);
    this.start();
  }

  protected options(): Record<string, JsonValue> {
    return {};
  }

  protected loadOptions(options: unknown): void {
    checkSavedOptions('LambdaLR', options);
  }

  protected computeLr(): number[] {
    return this.baseLrs.map((b, i) => b * factor('LambdaLR', this.lrLambdas[i], this.lastEpoch, i));
  }
}

/** lr = previous lr * lrLambda(step), from step 1 on. */
export class MultiplicativeLR extends LRScheduler {
  lrLambdas: LrLambda[];

  constructor(optimizer: SchedulableOptimizer, options: LambdaLROptions) {
    super(optimizer, 'MultiplicativeLR');
    this.lrLambdas = readLambdas('MultiplicativeLR', options, this.groupCount);
    this.start();
  }

  protected options(): Record<string, JsonValue> {
    return {};
  }

  protected loadOptions(options: unknown): void {
    checkSavedOptions('MultiplicativeLR', options);
  }

  protected computeLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch <= 0) return lrs;
    return lrs.map((lr, i) => lr * factor('MultiplicativeLR', this.lrLambdas[i], this.lastEpoch, i));
  }
}

export type MultiplicativeLROptions = LambdaLROptions;
