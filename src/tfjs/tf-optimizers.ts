// The seven tf.train optimizers, fused: tf.train's positional arguments, defaults, formulas
// (the tf_* kernels; SGD and momentum are the sgd kernel, the same operations in the same
// order), slot names and getWeights order, class names and configs, so a model saved with one
// loads into the other. Their state may be stored as bfloat16 or int8 (stateDtype), and
// Lookahead may wrap them; both are set before the first step (fusedTrain's options, train.lookahead).
import { DEFAULT_BLOCK_SIZE, DEFAULT_MIN_8BIT_SIZE, type StateDtype, UNSIGNED_STATE } from '../backend/state-format';
import type { Kind } from '../backend/types';
import { type PlannedUpdate, planKernelCall } from '../functional/planned-update';
import { checkStateDtype, checkStateStreams } from '../functional/stored-layout';
import { splitState, type StateTensor, stateFromFloat32, stateToFloat32 } from '../functional/stored';
import { lookaheadSync } from '../functional/tensors';
import { checkBoolean, checkNumber, isFloat32Array, typeTagOf } from '../functional/validate';
import { createBase, type FusedStateOptions, type LookaheadChoice, type SlotValue } from './base';
import type { TfLike } from './tf-like';

const f = Math.fround;

export interface Slot {
  /** TF.js's suffix: the weight is named `${variable}/${suffix}`. */
  suffix: string;
  /** The kernel's stream (native/kernels/kinds.h): it decides the int8 map (UNSIGNED_STATE). */
  stream: string;
  initial: number;
}

const formatOfTensor = (t: StateTensor): StateDtype =>
  isFloat32Array(t) ? 'float32' : typeTagOf(t) === 'Uint16Array' ? 'bfloat16' : 'int8';

/** Elements of a state tensor in any format. */
const lengthOf = (t: StateTensor): number => (formatOfTensor(t) === 'int8' ? (t as { codes: Uint8Array }).codes : (t as Float32Array)).length;

/** A state tensor's values as float32: the array itself for float32 state, else decoded. */
const toFloat32 = (t: StateTensor, stream: string): Float32Array =>
  isFloat32Array(t) ? t : stateToFloat32(t, !UNSIGNED_STATE.has(stream), DEFAULT_BLOCK_SIZE);

export function checkLookahead(choice: LookaheadChoice): Required<LookaheadChoice> {
  if (choice === null || typeof choice !== 'object') throw new TypeError('lookahead must be an object { k, alpha }');
  const { k = 5, alpha = 0.5 } = choice;
  return { k: checkNumber('lookahead.k', k, { min: 1, integer: true }), alpha: checkNumber('lookahead.alpha', alpha, { min: 0, max: 1 }) };
}

export function createTfOptimizers(tf: TfLike) {
  const FusedOptimizer = createBase(tf);

  /** State kept in slots (one tensor per slot kind and variable position), as tfjs-core keeps it. */
  abstract class SlotOptimizer extends FusedOptimizer {
    state: StateTensor[][] = [];
    /** Weight names by slot and position (TF.js's originalName). */
    names: string[][] = [];
    prepared = new Map<number, { arrays: StateTensor[]; names: string[]; variable: string }>();
    stateDtype: StateDtype = 'float32';
    min8bitSize = DEFAULT_MIN_8BIT_SIZE;
    lookahead: Required<LookaheadChoice> | undefined;
    /** Lookahead's slow weights and their variables' names, by position. */
    slow: Float32Array[] = [];
    slowNames: string[] = [];

    abstract slots(): Slot[];
    abstract kind(): Kind;
    /** The kernel's scalars for this step. */
    abstract scalars(gradScale: number): object;
    /** Per-step scalars move on (accumulated beta powers). */
    afterStep(): void {}
    afterLoad(_iterations: number): void {}

    configureState(options: FusedStateOptions): void {
      if (this.hasState()) throw new Error('stateDtype is fixed once the optimizer has state: set it before the first step');
      if (options.stateDtype !== undefined) this.stateDtype = checkStateDtype('stateDtype', options.stateDtype);
      if (options.min8bitSize !== undefined) this.min8bitSize = checkNumber('min8bitSize', options.min8bitSize, { min: 0, integer: true });
    }

    configureLookahead(choice: LookaheadChoice): void {
      if (this.hasState()) throw new Error('lookahead must be set before the first step');
      this.lookahead = checkLookahead(choice);
    }

    hasState(): boolean {
      return this.iterations > 0 || this.known.length > 0 || this.state.some((l) => l.length > 0);
    }

    /** int8 leaves tensors below min8bitSize in float32, as the optimizer classes do. */
    formatFor(size: number): StateDtype {
      return this.stateDtype === 'int8' && size < this.min8bitSize ? 'float32' : this.stateDtype;
    }

    prepareState(index: number, size: number, name: string): void {
      if (this.state[0]?.[index] !== undefined) return;
      const format = this.formatFor(size);
      this.prepared.set(index, {
        arrays: this.slots().map((s) => stateFromFloat32(new Float32Array(size).fill(s.initial), format, !UNSIGNED_STATE.has(s.stream))),
        names: this.slots().map((s) => `${name}/${s.suffix}`),
        variable: name,
      });
    }

    checkState(index: number, size: number): void {
      for (const list of this.state) {
        const a = list[index];
        const length = a === undefined ? size : lengthOf(a);
        if (length !== size)
          throw new RangeError(`applyGradients: the optimizer state at position ${index} has ${length} elements, the variable ${size}`);
      }
      const slow = this.slow[index];
      if (slow !== undefined && slow.length !== size)
        throw new RangeError(`applyGradients: the lookahead weights at position ${index} have ${slow.length} elements, the variable ${size}`);
    }

    dropPreparedState(): void {
      this.prepared.clear();
    }

    commitState(applied: boolean): void {
      const count = this.slots().length;
      for (const [index, { arrays, names, variable }] of this.prepared) {
        for (let s = 0; s < count; s++) {
          (this.state[s] ??= [])[index] = arrays[s];
          (this.names[s] ??= [])[index] = names[s];
        }
        this.slowNames[index] ??= variable;
      }
      this.prepared.clear();
      if (applied) this.afterStep();
    }

    /** The state tensor of slot `s` at a position: committed, or prepared by this step. */
    stateAt(s: number, i: number): StateTensor {
      return this.state[s]?.[i] ?? (this.prepared.get(i) as { arrays: StateTensor[] }).arrays[s];
    }

    update(active: number[], params: Float32Array[], grads: Float32Array[], gradScale: number): boolean {
      const slots = this.slots();
      const look = this.lookahead;
      if (look !== undefined) {
        const positions = Math.max(this.known.length, ...[...this.prepared.keys(), ...active].map((i) => i + 1));
        if (active.length !== positions)
          throw new Error('applyGradients: with lookahead every variable needs a gradient at every step (its sync writes them all)');
      }
      // One kernel call per storage format (int8 keeps tensors below min8bitSize in float32),
      // every call planned (checked) before any runs.
      const byFormat = new Map<StateDtype, number[]>();
      active.forEach((i, k) => {
        const format = slots.length === 0 ? 'float32' : formatOfTensor(this.stateAt(0, i));
        byFormat.set(format, [...(byFormat.get(format) ?? []), k]);
      });
      const scalars = this.scalars(gradScale);
      const runs: PlannedUpdate[] = [...byFormat].map(([format, ks]) =>
        this.planKernel(format, ks.map((k) => params[k]), ks.map((k) => grads[k]), slots.map((_, s) => ks.map((k) => this.stateAt(s, active[k]))), scalars),
      );
      // The slow weights start as the values the first step sees (Lookahead's φ₀ = θ₀).
      const newSlow = look === undefined ? [] : active.map((i, k) => this.slow[i] ?? params[k].slice());
      for (const run of runs) run();
      if (look !== undefined) {
        active.forEach((i, k) => (this.slow[i] = newSlow[k]));
        if ((this.iterations + 1) % look.k === 0) lookaheadSync(newSlow, params, look.alpha);
      }
      return true;
    }

    /** Extra streams the kind takes that are absent here (SGD without momentum). */
    absentStreams(): string[] {
      return [];
    }

    planKernel(format: StateDtype, params: Float32Array[], grads: Float32Array[], state: StateTensor[][], scalars: object): PlannedUpdate {
      const slots = this.slots();
      const lists = Object.fromEntries(slots.map((slot, s) => [slot.stream, state[s]]));
      const { lists: stored, stored: storedArgs } = splitState({ stateDtype: format }, lists);
      const args = [
        { name: 'param', list: params, written: true },
        { name: 'grad', list: grads, written: false },
        ...slots.map((slot) => ({ name: slot.stream, list: stored[slot.stream], written: true, stream: slot.stream })),
      ];
      const { lists: checked, fields } = checkStateStreams(args, undefined, storedArgs);
      const streams: Record<string, unknown> = { ...fields };
      args.forEach((a, k) => (streams[a.name] = checked[k]));
      for (const name of this.absentStreams()) streams[name] = null;
      return planKernelCall(this.kind(), streams as never, scalars as never);
    }

    /** The state as float32 (stored state decoded), in TF.js's order: each slot kind for every variable, then Lookahead's. */
    slotValues(): SlotValue[] {
      const out: SlotValue[] = [];
      this.slots().forEach((slot, s) =>
        (this.state[s] ?? []).forEach((values, i) =>
          out.push({ name: this.names[s][i], values: toFloat32(values, slot.stream), shape: this.known[i]?.shape }),
        ),
      );
      if (this.lookahead !== undefined)
        this.slow.forEach((values, i) => out.push({ name: `${this.slowNames[i]}/slow`, values, shape: this.known[i]?.shape }));
      return out;
    }

    loadSlotValues(values: SlotValue[], iterations: number): void {
      const slots = this.slots();
      const kinds = slots.length + (this.lookahead === undefined ? 0 : 1);
      if (kinds === 0) {
        if (values.length !== 0) throw new Error(`${this.getClassName()} optimizer does not have settable weights.`);
      } else if (values.length % kinds !== 0)
        throw new RangeError(
          `setWeights: ${values.length} slot weights do not divide into ${kinds} slot kinds (${slots.map((s) => s.suffix)}` +
            `${this.lookahead === undefined ? '' : ', slow'})`,
        );
      const n = kinds === 0 ? 0 : values.length / kinds;
      const part = (s: number) => values.slice(s * n, (s + 1) * n);
      if (this.lookahead !== undefined)
        part(slots.length).forEach((v, i) => {
          if (v.values.length !== values[i].values.length)
            throw new RangeError(`setWeights: '${v.name}' has ${v.values.length} elements, the state of its variable ${values[i].values.length}`);
        });
      // Encoded in this optimizer's format (stateDtype), whatever the saved one was.
      this.state = slots.map((slot, s) =>
        part(s).map((v) => stateFromFloat32(v.values, this.formatFor(v.values.length), !UNSIGNED_STATE.has(slot.stream))),
      );
      this.names = slots.map((_, s) => part(s).map((v) => v.name));
      this.slow = this.lookahead === undefined ? [] : part(slots.length).map((v) => v.values);
      this.slowNames = this.lookahead === undefined ? [] : part(slots.length).map((v) => v.name.slice(0, v.name.lastIndexOf('/')));
      this.known = Array.from({ length: n }, (_, i) => ({
        name: null, size: values[i].values.length, shape: values[i].shape ?? [values[i].values.length],
      }));
      this.afterLoad(iterations);
    }

    /** TF.js's config, plus the fused options when they are not the defaults (stock optimizers ignore them). */
    withFusedConfig(config: Record<string, unknown>): Record<string, unknown> {
      const out = { ...config };
      if (this.stateDtype !== 'float32') out.stateDtype = this.stateDtype;
      if (this.stateDtype === 'int8') out.min8bitSize = this.min8bitSize;
      if (this.lookahead !== undefined) out.lookahead = { ...this.lookahead };
      return out;
    }
  }

  /** Builds an optimizer from a saved config, with the fused options it records. */
  const fromSaved = <T extends SlotOptimizer>(opt: T, config: Record<string, unknown>): T => {
    opt.configureState(config as FusedStateOptions);
    if (config.lookahead != null) opt.configureLookahead(config.lookahead as LookaheadChoice);
    return opt;
  };

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
