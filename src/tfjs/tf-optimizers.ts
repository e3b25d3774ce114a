// The seven tf.train optimizers, fused: tf.train's positional arguments, defaults, formulas
// (the tf_* kernels; SGD and momentum are the sgd kernel, the same operations in the same
// order), slot names and getWeights order, class names and configs, so a model saved with one
// loads into the other. Their state may be stored as bfloat16 or int8 (stateDtype), and
// Lookahead may wrap them; both are set before the first step (fusedTrain's options, train.lookahead).
import type { Kind } from '../backend/types';
import { checkBoolean, checkNumber } from '../functional/validate';
import { createSlotOptimizer, type Slot } from './slot-optimizer';
import type { TfLike } from './tf-like';

const f = Math.fround;

export function createTfOptimizers(tf: TfLike) {
  const { FusedOptimizer, SlotOptimizer, fromSaved } = createSlotOptimizer(tf);


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
    kind(): Kind {
      return 'sgd';
    }
    override absentStreams(): string[] {
      return ['momentumBuffer'];
    }
    scalars(gradScale: number): object {
      return {
        gradScale, weightDecay: 0, hasWeightDecay: false, momentum: 0, oneMinusDampening: 1, lr: this.learningRate,
        hasMomentum: false, nesterov: false, firstStep: false,
      };
    }
    getConfig() {
      return this.withFusedConfig({ learningRate: this.learningRate });
    }
    static fromConfig(cls: new (lr: number) => SGD, config: Record<string, never>) {
      return fromSaved(new cls(config.learningRate), config);
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
      return [{ suffix: 'momentum', stream: 'momentumBuffer', initial: 0 }];
    }
    kind(): Kind {
      return 'sgd';
    }
    scalars(gradScale: number): object {
      // tfjs-core: acc = m·acc + g; value += -lr·acc (or -lr·(g + acc·m) with Nesterov). The sgd
      // kernel's buf·momentum + 1·g, p - lr·buf are those operations, exactly.
      return {
        gradScale, weightDecay: 0, hasWeightDecay: false, momentum: this.momentum, oneMinusDampening: 1,
        lr: this.learningRate, hasMomentum: true, nesterov: this.useNesterov, firstStep: false,
      };
    }
    getConfig() {
      return this.withFusedConfig({ learningRate: this.learningRate, momentum: this.momentum, useNesterov: this.useNesterov });
    }
    static fromConfig(cls: new (lr: number, m: number, n: boolean) => Momentum, config: Record<string, never>) {
      return fromSaved(new cls(config.learningRate, config.momentum, config.useNesterov), config);
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
      return [{ suffix: 'accumulator', stream: 'accumulator', initial: this.initialAccumulatorValue }];
    }
    kind(): Kind {
      return 'tf_adagrad';
    }
    scalars(gradScale: number): object {
      return { gradScale, eps: tf.backend().epsilon(), lr: this.learningRate };
    }
    getConfig() {
      return this.withFusedConfig({ learningRate: this.learningRate, initialAccumulatorValue: this.initialAccumulatorValue });
    }
    static fromConfig(cls: new (lr: number, a: number) => Adagrad, config: Record<string, never>) {
      return fromSaved(new cls(config.learningRate, config.initialAccumulatorValue), config);
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
      return [{ suffix: 'accum_grad', stream: 'accumGrad', initial: 0 }, { suffix: 'accum_var', stream: 'accumUpdate', initial: 0 }];
    }
    kind(): Kind {
      return 'tf_adadelta';
    }
    scalars(gradScale: number): object {
      return { gradScale, rho: this.rho, oneMinusRho: 1 - this.rho, eps: this.epsilon, lr: this.learningRate };
    }
    getConfig() {
      return this.withFusedConfig({ learningRate: this.learningRate, rho: this.rho, epsilon: this.epsilon });
    }
    static fromConfig(cls: new (lr: number, rho: number, eps: number) => Adadelta, config: Record<string, never>) {
      return fromSaved(new cls(config.learningRate, config.rho, config.epsilon), config);
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
      return [{ suffix: 'm', stream: 'm', initial: 0 }, { suffix: 'v', stream: 'v', initial: 0 }];
    }
    kind(): Kind {
      return 'tf_adam';
    }
    scalars(gradScale: number): object {
      return {
        gradScale, beta1: this.beta1, oneMinusBeta1: 1 - this.beta1, beta2: this.beta2, oneMinusBeta2: 1 - this.beta2,
        oneMinusAccBeta1: f(1 - this.accBeta1), oneMinusAccBeta2: f(1 - this.accBeta2), eps: this.epsilon, lr: this.learningRate,
      };
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
      return this.withFusedConfig({ learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon });
    }
    static fromConfig(cls: new (lr: number, b1: number, b2: number, eps: number) => Adam, config: Record<string, never>) {
      return fromSaved(new cls(config.learningRate, config.beta1, config.beta2, config.epsilon), config);
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
      return [{ suffix: 'm', stream: 'm', initial: 0 }, { suffix: 'v', stream: 'u', initial: 0 }];
    }
    kind(): Kind {
      return 'tf_adamax';
    }
    scalars(gradScale: number): object {
      // tfjs-core: lr_t = -lr / (iteration·decay + 1); value += (lr_t / (1 - accBeta1)) · m / (u + eps), in float32.
      const lrT = f(f(-this.learningRate) / f(f(this.iteration * f(this.decay)) + 1));
      const stepSize = -f(lrT / f(1 - this.accBeta1));
      return { gradScale, beta1: this.beta1, oneMinusBeta1: 1 - this.beta1, beta2: this.beta2, eps: this.epsilon, stepSize };
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
      return this.withFusedConfig({ learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, decay: this.decay });
    }
    static fromConfig(cls: new (lr: number, b1: number, b2: number, eps: number, d: number) => Adamax, config: Record<string, never>) {
      return fromSaved(new cls(config.learningRate, config.beta1, config.beta2, config.epsilon, config.decay), config);
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
      const slots = [{ suffix: 'rms', stream: 'ms', initial: 0 }, { suffix: 'momentum', stream: 'mom', initial: 0 }];
      return this.centered ? [...slots, { suffix: 'mg', stream: 'mg', initial: 0 }] : slots;
    }
    kind(): Kind {
      return 'tf_rmsprop';
    }
    scalars(gradScale: number): object {
      // Without centering the mg stream is absent (the kernel neither reads nor writes it).
      return {
        gradScale, alpha: this.decay, oneMinusAlpha: 1 - this.decay, momentum: this.momentum, eps: this.epsilon,
        lr: this.learningRate, centered: this.centered,
      };
    }
    getConfig() {
      return this.withFusedConfig({ learningRate: this.learningRate, decay: this.decay, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered });
    }
    static fromConfig(cls: new (lr: number, d: number, m: number, e: number, c: boolean) => RMSProp, config: Record<string, never>) {
      return fromSaved(new cls(config.learningRate, config.decay, config.momentum, config.epsilon, config.centered), config);
    }
  }

  return { FusedOptimizer, SGD, Momentum, Adagrad, Adadelta, Adam, Adamax, RMSProp };
}
