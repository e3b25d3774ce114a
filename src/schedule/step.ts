// Multiplicative decays. Each `computeLr` is PyTorch's chainable `get_lr` (it scales the group's
// current lr, so stacking schedulers composes), and `closedFormLr` its `_get_closed_form_lr`.
// Expressions keep PyTorch's operation order so results agree to the last bit where libm allows.

import { LRScheduler } from './base';
import type { JsonValue, SchedulableOptimizer } from './types';
import { checkInteger, checkMilestones, checkNumber, readOptions } from './validate';

export interface StepLROptions {
  /** Decay every this many steps. Required. */
  stepSize: number;
  /** Multiplicative decay factor. Default 0.1. */
  gamma?: number;
}

export class StepLR extends LRScheduler {
  stepSize = 1;
  gamma = 0.1;

  constructor(optimizer: SchedulableOptimizer, options: StepLROptions) {
    super(optimizer, 'StepLR');
    this.loadOptions(options);
    this.start();
  }

  protected options(): Record<string, JsonValue> {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }

  protected loadOptions(options: unknown): void {
    const o = readOptions('StepLR', options, ['stepSize', 'gamma']);
    const stepSize = checkInteger('StepLR', 'stepSize', o.stepSize, { min: 1 });
    const gamma = checkNumber('StepLR', 'gamma', o.gamma ?? 0.1, { min: 0 });
    this.stepSize = stepSize;
    this.gamma = gamma;
  }

  protected computeLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

export interface MultiStepLROptions {
  /** Steps at which to decay; strictly increasing integers. Required. */
  milestones: number[];
  /** Multiplicative decay factor. Default 0.1. */
  gamma?: number;
}

export class MultiStepLR extends LRScheduler {
  milestones: number[] = [];
  gamma = 0.1;

  constructor(optimizer: SchedulableOptimizer, options: MultiStepLROptions) {
    super(optimizer, 'MultiStepLR');
    this.loadOptions(options);
    this.start();
  }

  protected options(): Record<string, JsonValue> {
    return { milestones: [...this.milestones], gamma: this.gamma };
  }

  protected loadOptions(options: unknown): void {
    const o = readOptions('MultiStepLR', options, ['milestones', 'gamma']);
    // PyTorch counts duplicates (decaying twice at once); here they are rejected as typos.
    const milestones = checkMilestones('MultiStepLR', 'milestones', o.milestones, 0);
    const gamma = checkNumber('MultiStepLR', 'gamma', o.gamma ?? 0.1, { min: 0 });
    this.milestones = milestones;
    this.gamma = gamma;
  }

  protected computeLr(): number[] {
    const lrs = this.currentLrs();
    if (!this.milestones.includes(this.lastEpoch)) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
}

export interface ExponentialLROptions {
  /** Multiplicative decay factor applied every step. Required. */
  gamma: number;
}

export class ExponentialLR extends LRScheduler {
  gamma = 1;

  constructor(optimizer: SchedulableOptimizer, options: ExponentialLROptions) {
    super(optimizer, 'ExponentialLR');
    this.loadOptions(options);
    this.start();
  }

  protected options(): Record<string, JsonValue> {
    return { gamma: this.gamma };
  }

  protected loadOptions(options: unknown): void {
    const o = readOptions('ExponentialLR', options, ['gamma']);
    this.gamma = checkNumber('ExponentialLR', 'gamma', o.gamma, { min: 0 });
  }

  protected computeLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

export interface ConstantLROptions {
  /** Factor applied until `totalIters`; in (0, 1]. Default 1/3. */
  factor?: number;
  /** Steps before the full lr is restored. Default 5. */
  totalIters?: number;
}

export class ConstantLR extends LRScheduler {
  factor = 1 / 3;
  totalIters = 5;

  constructor(optimizer: SchedulableOptimizer, options: ConstantLROptions = {}) {
    super(optimizer, 'ConstantLR');
    this.loadOptions(options);
    this.start();
  }

  protected options(): Record<string, JsonValue> {
    return { factor: this.factor, totalIters: this.totalIters };
  }

  protected loadOptions(options: unknown): void {
    const o = readOptions('ConstantLR', options, ['factor', 'totalIters']);
    // PyTorch accepts factor 0, then divides by it when the factor is lifted.
    const factor = checkNumber('ConstantLR', 'factor', o.factor ?? 1 / 3, { min: 0, minExclusive: true, max: 1 });
    const totalIters = checkInteger('ConstantLR', 'totalIters', o.totalIters ?? 5, { min: 1 });
    this.factor = factor;
    this.totalIters = totalIters;
  }

  protected computeLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0) return lrs.map((lr) => lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return lrs;
    return lrs.map((lr) => lr * (1.0 / this.factor));
  }

  protected override closedFormLr(): number[] {
    const lifted = this.lastEpoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((b) => b * (this.factor + lifted * (1 - this.factor)));
  }
}

export interface LinearLROptions {
  /** Factor at step 0; in (0, 1]. Default 1/3. */
  startFactor?: number;
  /** Factor from `totalIters` on; in [0, 1]. Default 1. */
  endFactor?: number;
  /** Steps to go from start to end factor. Default 5. */
  totalIters?: number;
}

export class LinearLR extends LRScheduler {
  startFactor = 1 / 3;
  endFactor = 1;
  totalIters = 5;

  constructor(optimizer: SchedulableOptimizer, options: LinearLROptions = {}) {
    super(optimizer, 'LinearLR');
    this.loadOptions(options);
    this.start();
  }

  protected options(): Record<string, JsonValue> {
    return { startFactor: this.startFactor, endFactor: this.endFactor, totalIters: this.totalIters };
  }

  protected loadOptions(options: unknown): void {
    const o = readOptions('LinearLR', options, ['startFactor', 'endFactor', 'totalIters']);
    // startFactor 0 would divide by zero in the recursive form (PyTorch 2.x rejects it too).
    const startFactor = checkNumber('LinearLR', 'startFactor', o.startFactor ?? 1 / 3, {
      min: 0,
      minExclusive: true,
      max: 1,
    });
    const endFactor = checkNumber('LinearLR', 'endFactor', o.endFactor ?? 1, { min: 0, max: 1 });
    const totalIters = checkInteger('LinearLR', 'totalIters', o.totalIters ?? 5, { min: 1 });
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
  }

  protected computeLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0) return lrs.map((lr) => lr * this.startFactor);
    if (this.lastEpoch > this.totalIters) return lrs;
    const delta = this.endFactor - this.startFactor;
    return lrs.map(
      (lr) => lr * (1 + delta / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * delta)),
    );
  }

  protected override closedFormLr(): number[] {
    const delta = this.endFactor - this.startFactor;
    return this.baseLrs.map(
      (b) => b * (this.startFactor + (delta * Math.min(this.totalIters, this.lastEpoch)) / this.totalIters),
    );
  }
}

export interface PolynomialLROptions {
  /** Steps over which the lr decays to 0. Default 5. */
  totalIters?: number;
  /** Polynomial power. Default 1. */
  power?: number;
}

export class PolynomialLR extends LRScheduler {
  totalIters = 5;
  power = 1;

  constructor(optimizer: SchedulableOptimizer, options: PolynomialLROptions = {}) {
    super(optimizer, 'PolynomialLR');
    this.loadOptions(options);
    this.start();
  }

  protected options(): Record<string, JsonValue> {
    return { totalIters: this.totalIters, power: this.power };
  }

  protected loadOptions(options: unknown): void {
    const o = readOptions('PolynomialLR', options, ['totalIters', 'power']);
    const totalIters = checkInteger('PolynomialLR', 'totalIters', o.totalIters ?? 5, { min: 1 });
    const power = checkNumber('PolynomialLR', 'power', o.power ?? 1, { min: 0 });
    this.totalIters = totalIters;
    this.power = power;
  }

  protected computeLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0 || this.lastEpoch > this.totalIters) return lrs;
    const decay =
      ((1.0 - this.lastEpoch / this.totalIters) / (1.0 - (this.lastEpoch - 1) / this.totalIters)) ** this.power;
    return lrs.map((lr) => lr * decay);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map(
      (b) => b * (1.0 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power,
    );
  }
}
