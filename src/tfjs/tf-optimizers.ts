// The seven tf.train optimizers, fused: tf.train's positional arguments, defaults, formulas
// (the tf_* kernels; SGD and momentum are the sgd kernel, the same operations in the same
// order), slot names and getWeights order, class names and configs, so a model saved with one
// loads into the other.
import { checkStreams } from '../functional/stream-check';
import { planKernelCall } from '../functional/planned-update';
import { checkBoolean, checkNumber } from '../functional/validate';
import { createBase, type SlotValue } from './base';
import type { TfLike } from './tf-like';

const f = Math.fround;

export interface Slot {
  /** TF.js's suffix: the weight is named `${variable}/${suffix}`. */
  suffix: string;
  initial: number;
}

export function createTfOptimizers(tf: TfLike) {
  const FusedOptimizer = createBase(tf);

  /** State kept in slots (one Float32Array per slot kind and variable position), as tfjs-core keeps it. */
  abstract class SlotOptimizer extends FusedOptimizer {
    state: Float32Array[][] = [];
    /** Weight names by slot and position (TF.js's originalName). */
    names: string[][] = [];
    prepared = new Map<number, { arrays: Float32Array[]; names: string[] }>();

    abstract slots(): Slot[];
    abstract kernel(params: Float32Array[], grads: Float32Array[], state: Float32Array[][], gradScale: number): void;
    /** Per-step scalars move on (accumulated beta powers). */
    afterStep(): void {}
    afterLoad(_iterations: number): void {}

    prepareState(index: number, size: number, name: string): void {
      const slots = this.slots();
      if (this.state[0]?.[index] !== undefined) return;
      this.prepared.set(index, {
        arrays: slots.map((s) => (s.initial === 0 ? new Float32Array(size) : new Float32Array(size).fill(s.initial))),
        names: slots.map((s) => `${name}/${s.suffix}`),
      });
    }

    checkState(index: number, size: number): void {
      for (const list of this.state) {
        const a = list[index];
        if (a !== undefined && a.length !== size)
          throw new RangeError(`applyGradients: the optimizer state at position ${index} has ${a.length} elements, the variable ${size}`);
      }
    }

    dropPreparedState(): void {
      this.prepared.clear();
    }

    commitState(applied: boolean): void {
      const count = this.slots().length;
      for (const [index, { arrays, names }] of this.prepared)
        for (let s = 0; s < count; s++) {
          (this.state[s] ??= [])[index] = arrays[s];
          (this.names[s] ??= [])[index] = names[s];
        }
      this.prepared.clear();
      if (applied) this.afterStep();
    }

    update(active: number[], params: Float32Array[], grads: Float32Array[], gradScale: number): boolean {
      const state = this.slots().map((_, s) =>
        active.map((i) => this.state[s]?.[i] ?? (this.prepared.get(i) as { arrays: Float32Array[] }).arrays[s]),
      );
      this.kernel(params, grads, state, gradScale);
      return true;
    }

    slotValues(): SlotValue[] {
      const out: SlotValue[] = [];
      this.slots().forEach((_, s) =>
        (this.state[s] ?? []).forEach((values, i) => out.push({ name: this.names[s][i], values, shape: this.known[i]?.shape })),
      );
      return out;
    }

    loadSlotValues(values: SlotValue[], iterations: number): void {
      const count = this.slots().length;
      if (count === 0) {
        if (values.length !== 0) throw new Error(`${this.getClassName()} optimizer does not have settable weights.`);
      } else if (values.length % count !== 0)
        throw new RangeError(
          `setWeights: ${values.length} slot weights do not divide into ${count} slot kinds (${this.slots().map((s) => s.suffix)})`,
        );
      const n = count === 0 ? 0 : values.length / count;
      this.state = this.slots().map((_, s) => values.slice(s * n, (s + 1) * n).map((v) => v.values));
      this.names = this.slots().map((_, s) => values.slice(s * n, (s + 1) * n).map((v) => v.name));
      this.known = Array.from({ length: n }, (_, i) => ({
        name: null, size: values[i].values.length, shape: values[i].shape ?? [values[i].values.length],
      }));
      this.afterLoad(iterations);
    }

    /** Runs one fused kernel call over every active variable. */
    run(kind: Parameters<typeof planKernelCall>[0], names: string[], lists: Float32Array[][], scalars: object): void {
      const checked = checkStreams(names.map((name, k) => ({ name, list: lists[k], written: k !== 1 })));
      const streams = Object.fromEntries(names.map((name, k) => [name, checked[k]]));
      planKernelCall(kind, streams as never, scalars as never)();
    }
  }

  class SGD extends SlotOptimizer {
    static get className() {
      return 'SGD';
    }
    constructor(learningRate: number) {
      super(learningRate);
    }
    setLearningRate(learningRate: number): void {
      this.learningRate = checkNumber('learningRate', learningRate);
    }
    slots(): Slot[] {
      return [];
    }
    kernel(params: Float32Array[], grads: Float32Array[], _state: Float32Array[][], gradScale: number): void {
      const scalars = {
        gradScale, weightDecay: 0, hasWeightDecay: false, momentum: 0, oneMinusDampening: 1, lr: this.learningRate,
        hasMomentum: false, nesterov: false, firstStep: false,
      };
      const [param, grad] = checkStreams([
        { name: 'params', list: params, written: true },
        { name: 'grads', list: grads, written: false },
      ]);
      planKernelCall('sgd', { param, grad, momentumBuffer: null }, scalars)();
    }
    getConfig() {
      return { learningRate: this.learningRate };
    }
    static fromConfig(cls: new (lr: number) => SGD, config: Record<string, number>) {
      return new cls(config.learningRate);
    }
  }

  class Momentum extends SlotOptimizer {
    static get className() {
      return 'Momentum';
    }
    momentum: number;
    useNesterov: boolean;
    constructor(learningRate: number, momentum: number, useNesterov = false) {
      super(learningRate);
      this.momentum = checkNumber('momentum', momentum);
      this.useNesterov = checkBoolean('useNesterov', useNesterov);
    }
    setLearningRate(learningRate: number): void {
      this.learningRate = checkNumber('learningRate', learningRate);
    }
    setMomentum(momentum: number): void {
      this.momentum = checkNumber('momentum', momentum);
    }
    override groupOptions(): Record<string, unknown> {
      const group = {};
      Object.defineProperty(group, 'momentum', { enumerable: true, get: () => this.momentum, set: (v: number) => this.setMomentum(v) });
      return group;
    }
    slots(): Slot[] {
      return [{ suffix: 'momentum', initial: 0 }];
    }
    kernel(params: Float32Array[], grads: Float32Array[], [buffers]: Float32Array[][], gradScale: number): void {
      // tfjs-core: acc = m·acc + g; value += -lr·acc (or -lr·(g + acc·m) with Nesterov). The sgd
      // kernel's buf·momentum + 1·g, p - lr·buf are those operations, exactly.
      const scalars = {
        gradScale, weightDecay: 0, hasWeightDecay: false, momentum: this.momentum, oneMinusDampening: 1,
        lr: this.learningRate, hasMomentum: true, nesterov: this.useNesterov, firstStep: false,
      };
      const [param, grad, momentumBuffer] = checkStreams([
        { name: 'params', list: params, written: true },
        { name: 'grads', list: grads, written: false },
        { name: 'momentum', list: buffers, written: true },
      ]);
      planKernelCall('sgd', { param, grad, momentumBuffer }, scalars)();
    }
    getConfig() {
      return { learningRate: this.learningRate, momentum: this.momentum, useNesterov: this.useNesterov };
    }
    static fromConfig(cls: new (lr: number, m: number, n: boolean) => Momentum, config: Record<string, never>) {
      return new cls(config.learningRate, config.momentum, config.useNesterov);
    }
  }

  class Adagrad extends SlotOptimizer {
    static get className() {
      return 'Adagrad';
    }
    readonly initialAccumulatorValue: number;
    constructor(learningRate: number, initialAccumulatorValue = 0.1) {
      super(learningRate);
      this.initialAccumulatorValue = checkNumber('initialAccumulatorValue', initialAccumulatorValue, { min: 0 });
    }
    slots(): Slot[] {
      return [{ suffix: 'accumulator', initial: this.initialAccumulatorValue }];
    }
    kernel(params: Float32Array[], grads: Float32Array[], [acc]: Float32Array[][], gradScale: number): void {
      const scalars = { gradScale, eps: tf.backend().epsilon(), lr: this.learningRate };
      this.run('tf_adagrad', ['param', 'grad', 'accumulator'], [params, grads, acc], scalars);
    }
    getConfig() {
      return { learningRate: this.learningRate, initialAccumulatorValue: this.initialAccumulatorValue };
    }
    static fromConfig(cls: new (lr: number, a: number) => Adagrad, config: Record<string, number>) {
      return new cls(config.learningRate, config.initialAccumulatorValue);
    }
  }

  class Adadelta extends SlotOptimizer {
    static get className() {
      return 'Adadelta';
    }
    readonly rho: number;
    readonly epsilon: number;
    constructor(learningRate = 0.001, rho = 0.95, epsilon: number | null = null) {
      super(learningRate);
      this.rho = checkNumber('rho', rho);
      this.epsilon = epsilon == null ? tf.backend().epsilon() : checkNumber('epsilon', epsilon);
    }
    slots(): Slot[] {
      return [{ suffix: 'accum_grad', initial: 0 }, { suffix: 'accum_var', initial: 0 }];
    }
    kernel(params: Float32Array[], grads: Float32Array[], [accG, accU]: Float32Array[][], gradScale: number): void {
      const scalars = { gradScale, rho: this.rho, oneMinusRho: 1 - this.rho, eps: this.epsilon, lr: this.learningRate };
      this.run('tf_adadelta', ['param', 'grad', 'accumGrad', 'accumUpdate'], [params, grads, accG, accU], scalars);
    }
    getConfig() {
      return { learningRate: this.learningRate, rho: this.rho, epsilon: this.epsilon };
    }
    static fromConfig(cls: new (lr: number, rho: number, eps: number) => Adadelta, config: Record<string, number>) {
      return new cls(config.learningRate, config.rho, config.epsilon);
    }
  }

  /** beta^(iterations+1) in float32, as tfjs-core's setWeights computes it with tf.pow (the cpu kernel's Math.pow). */
  const powerOf = (beta: number, exponent: number): number => f(Math.pow(f(beta), exponent));

  class Adam extends SlotOptimizer {
    static get className() {
      return 'Adam';
    }
    readonly beta1: number;
    readonly beta2: number;
    readonly epsilon: number;
    /** beta^t in float32, multiplied step by step as tfjs-core's accBeta variables are. */
    accBeta1: number;
    accBeta2: number;
    constructor(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) {
      super(learningRate);
      this.beta1 = checkNumber('beta1', beta1);
      this.beta2 = checkNumber('beta2', beta2);
      this.epsilon = epsilon == null ? tf.backend().epsilon() : checkNumber('epsilon', epsilon);
      this.accBeta1 = f(beta1);
      this.accBeta2 = f(beta2);
    }
    slots(): Slot[] {
      return [{ suffix: 'm', initial: 0 }, { suffix: 'v', initial: 0 }];
    }
    kernel(params: Float32Array[], grads: Float32Array[], [m, v]: Float32Array[][], gradScale: number): void {
      const scalars = {
        gradScale, beta1: this.beta1, oneMinusBeta1: 1 - this.beta1, beta2: this.beta2, oneMinusBeta2: 1 - this.beta2,
        oneMinusAccBeta1: f(1 - this.accBeta1), oneMinusAccBeta2: f(1 - this.accBeta2), eps: this.epsilon, lr: this.learningRate,
      };
      this.run('tf_adam', ['param', 'grad', 'm', 'v'], [params, grads, m, v], scalars);
    }
    override afterStep(): void {
      this.accBeta1 = f(this.accBeta1 * f(this.beta1));
      this.accBeta2 = f(this.accBeta2 * f(this.beta2));
    }
    override afterLoad(iterations: number): void {
      this.accBeta1 = powerOf(this.beta1, iterations + 1);
      this.accBeta2 = powerOf(this.beta2, iterations + 1);
    }
    getConfig() {
      return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
    }
    static fromConfig(cls: new (lr: number, b1: number, b2: number, eps: number) => Adam, config: Record<string, number>) {
      return new cls(config.learningRate, config.beta1, config.beta2, config.epsilon);
    }
  }

  class Adamax extends SlotOptimizer {
    static get className() {
      return 'Adamax';
    }
    readonly beta1: number;
    readonly beta2: number;
    readonly epsilon: number;
    readonly decay: number;
    accBeta1: number;
    /** tfjs-core's float32 `iteration` variable, which the lr decay reads. */
    iteration = 0;
    constructor(learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null, decay = 0) {
      super(learningRate);
      this.beta1 = checkNumber('beta1', beta1);
      this.beta2 = checkNumber('beta2', beta2);
      this.epsilon = epsilon == null ? tf.backend().epsilon() : checkNumber('epsilon', epsilon);
      this.decay = checkNumber('decay', decay, { min: 0 });
      this.accBeta1 = f(beta1);
    }
    slots(): Slot[] {
      return [{ suffix: 'm', initial: 0 }, { suffix: 'v', initial: 0 }];
    }
    kernel(params: Float32Array[], grads: Float32Array[], [m, u]: Float32Array[][], gradScale: number): void {
      // tfjs-core: lr_t = -lr / (iteration·decay + 1); value += (lr_t / (1 - accBeta1)) · m / (u + eps), in float32.
      const lrT = f(f(-this.learningRate) / f(f(this.iteration * f(this.decay)) + 1));
      const stepSize = -f(lrT / f(1 - this.accBeta1));
      const scalars = { gradScale, beta1: this.beta1, oneMinusBeta1: 1 - this.beta1, beta2: this.beta2, eps: this.epsilon, stepSize };
      this.run('tf_adamax', ['param', 'grad', 'm', 'u'], [params, grads, m, u], scalars);
    }
    override afterStep(): void {
      this.iteration = f(this.iteration + 1);
      this.accBeta1 = f(this.accBeta1 * f(this.beta1));
    }
    override afterLoad(iterations: number): void {
      this.iteration = f(iterations);
      this.accBeta1 = powerOf(this.beta1, iterations + 1);
    }
    getConfig() {
      return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, decay: this.decay };
    }
    static fromConfig(cls: new (lr: number, b1: number, b2: number, eps: number, d: number) => Adamax, config: Record<string, number>) {
      return new cls(config.learningRate, config.beta1, config.beta2, config.epsilon, config.decay);
    }
  }

  class RMSProp extends SlotOptimizer {
    static get className() {
      return 'RMSProp';
    }
    readonly decay: number;
    momentum: number;
    readonly epsilon: number;
    readonly centered: boolean;
    constructor(learningRate: number, decay = 0.9, momentum = 0, epsilon: number | null = null, centered = false) {
      if (learningRate == null) throw new Error('learningRate for RMSPropOptimizer must be defined.');
      super(learningRate);
      this.decay = checkNumber('decay', decay);
      this.momentum = checkNumber('momentum', momentum);
      this.epsilon = epsilon == null ? tf.backend().epsilon() : checkNumber('epsilon', epsilon);
      this.centered = checkBoolean('centered', centered);
    }
    override groupOptions(): Record<string, unknown> {
      const group = {};
      Object.defineProperty(group, 'momentum', {
        enumerable: true,
        get: () => this.momentum,
        set: (v: number) => (this.momentum = checkNumber('momentum', v)),
      });
      return group;
    }
    slots(): Slot[] {
      const slots = [{ suffix: 'rms', initial: 0 }, { suffix: 'momentum', initial: 0 }];
      return this.centered ? [...slots, { suffix: 'mg', initial: 0 }] : slots;
    }
    kernel(params: Float32Array[], grads: Float32Array[], [ms, mom, mg]: Float32Array[][], gradScale: number): void {
      const scalars = {
        gradScale, alpha: this.decay, oneMinusAlpha: 1 - this.decay, momentum: this.momentum, eps: this.epsilon,
        lr: this.learningRate, centered: this.centered,
      };
      // Without centering the mg stream is absent (the kernel neither reads nor writes it).
      if (this.centered) this.run('tf_rmsprop', ['param', 'grad', 'ms', 'mom', 'mg'], [params, grads, ms, mom, mg], scalars);
      else this.run('tf_rmsprop', ['param', 'grad', 'ms', 'mom'], [params, grads, ms, mom], scalars);
    }
    getConfig() {
      return { learningRate: this.learningRate, decay: this.decay, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
    }
    static fromConfig(cls: new (lr: number, d: number, m: number, e: number, c: boolean) => RMSProp, config: Record<string, never>) {
      return new cls(config.learningRate, config.decay, config.momentum, config.epsilon, config.centered);
    }
  }

  return { FusedOptimizer, SGD, Momentum, Adagrad, Adadelta, Adam, Adamax, RMSProp };
}
