// fused-optim/tfjs: TensorFlow.js optimizers whose steps are fused-optim kernels.
//
//   import * as tf from '@tensorflow/tfjs';
//   import { fusedTrain } from 'fused-optim/tfjs';
//   const train = fusedTrain(tf);
//   model.compile({ optimizer: train.adam(1e-3), loss: 'categoricalCrossentropy' });
import type { FusedOptimizerBase, FusedStateOptions, LookaheadChoice } from './base';
import type { TfLike } from './tf-like';
import { createTfOptimizers } from './tf-optimizers';
import { createTorchStyle, type TorchStyleOptions } from './torch-optimizers';

export type {
  FusedOptimizerBase as FusedOptimizer, FusedParamGroup, FusedStateOptions, FusedStepOptions, LookaheadChoice, StepOptionsHook,
} from './base';
export type { NamedTensor, NamedTensorMap, TfLike, TfTensor, TfVariable } from './tf-like';
export type { TorchStyleOptions } from './torch-optimizers';

/** Options of fusedTrain: how every optimizer it makes stores its state (adamw, nadam, radam and lion may override; lamb keeps float32). */
export type FusedTrainOptions = FusedStateOptions;

/**
 * The optimizers, bound to one `tf`. Arguments and defaults are tf.train's for the first seven.
 * `O` is that tf's Optimizer type: what they return is one, for model.compile's types too.
 */
export interface FusedTrain<O = unknown> {
  sgd(learningRate: number): FusedOptimizerBase & O;
  momentum(learningRate: number, momentum: number, useNesterov?: boolean): FusedOptimizerBase & O;
  adagrad(learningRate: number, initialAccumulatorValue?: number): FusedOptimizerBase & O;
  adadelta(learningRate?: number, rho?: number, epsilon?: number): FusedOptimizerBase & O;
  adam(learningRate?: number, beta1?: number, beta2?: number, epsilon?: number): FusedOptimizerBase & O;
  adamax(learningRate?: number, beta1?: number, beta2?: number, epsilon?: number, decay?: number): FusedOptimizerBase & O;
  rmsprop(learningRate: number, decay?: number, momentum?: number, epsilon?: number, centered?: boolean): FusedOptimizerBase & O;
  /** PyTorch's AdamW (decoupled weight decay, default 1e-2), as fused-optim's AdamW. */
  adamw(options?: TorchStyleOptions): FusedOptimizerBase & O;
  nadam(options?: TorchStyleOptions): FusedOptimizerBase & O;
  radam(options?: TorchStyleOptions): FusedOptimizerBase & O;
  lamb(options?: TorchStyleOptions): FusedOptimizerBase & O;
  lion(options?: TorchStyleOptions): FusedOptimizerBase & O;
  /**
   * Puts Lookahead around an optimizer of this object that has not stepped yet (any of the
   * twelve) and returns it: `train.lookahead(train.adam(1e-3), { k: 5, alpha: 0.5 })`.
   */
  lookahead<T extends FusedOptimizerBase>(optimizer: T, choice?: LookaheadChoice): T;
  /** The classes (subclasses of this tf's tf.Optimizer), by TF.js class name. */
  readonly classes: Record<string, new (...args: never[]) => FusedOptimizerBase & O>;
}

type Classes = ReturnType<typeof createTfOptimizers> & ReturnType<typeof createTorchStyle>;
const made = new WeakMap<object, Classes>();

function classesFor(tf: TfLike): Classes {
  if (tf === null || (typeof tf !== 'object' && typeof tf !== 'function') || typeof tf.Optimizer !== 'function')
    throw new TypeError('fusedTrain(tf) needs the TensorFlow.js namespace (import * as tf from "@tensorflow/tfjs")');
  let classes = made.get(tf);
  if (classes === undefined) {
    const seven = createTfOptimizers(tf);
    classes = { ...seven, ...createTorchStyle(seven.FusedOptimizer) };
    made.set(tf, classes);
  }
  return classes;
}

/**
 * The fused optimizers for this `tf` (the caller's TensorFlow.js; no other copy is loaded).
 * `options.stateDtype` stores the state of every optimizer made here as 'bfloat16' or 'int8'
 * (lamb keeps float32); the seven tf.train ones keep tf.train's arguments.
 */
export function fusedTrain<T extends TfLike>(tf: T, options: FusedTrainOptions = {}): FusedTrain<InstanceType<T['Optimizer']>> {
  const c = classesFor(tf);
  if (options === null || typeof options !== 'object') throw new TypeError('fusedTrain(tf, options): options must be an object');
  const state: FusedStateOptions = { stateDtype: options.stateDtype, min8bitSize: options.min8bitSize };
  // Checked now (momentum's constructor asks nothing of the tf backend).
  new c.Momentum(0, 0).configureState(state);
  const stored = <O extends FusedOptimizerBase>(opt: O) => (opt.configureState(state), opt);
  const nullable = (x: number | undefined) => (x === undefined ? null : x);
  const torchOptions = (o: TorchStyleOptions | undefined) => {
    if (o !== undefined && (o === null || typeof o !== 'object')) throw new TypeError('options must be an object');
    const defaults = Object.fromEntries(Object.entries(state).filter(([, v]) => v !== undefined));
    return { ...defaults, ...o };
  };
  const train: FusedTrain<FusedOptimizerBase> = {
    sgd: (lr) => new c.SGD(lr),
    momentum: (lr, m, nesterov = false) => stored(new c.Momentum(lr, m, nesterov)),
    adagrad: (lr, initial = 0.1) => stored(new c.Adagrad(lr, initial)),
    adadelta: (lr = 0.001, rho = 0.95, eps) => stored(new c.Adadelta(lr, rho, nullable(eps))),
    adam: (lr = 0.001, b1 = 0.9, b2 = 0.999, eps) => stored(new c.Adam(lr, b1, b2, nullable(eps))),
    adamax: (lr = 0.002, b1 = 0.9, b2 = 0.999, eps, decay = 0) => stored(new c.Adamax(lr, b1, b2, nullable(eps), decay)),
    rmsprop: (lr, decay = 0.9, momentum = 0, eps, centered = false) =>
      stored(new c.RMSProp(lr, decay, momentum, nullable(eps), centered)),
    adamw: (o) => new c.AdamW(torchOptions(o)),
    nadam: (o) => new c.NAdam(torchOptions(o)),
    radam: (o) => new c.RAdam(torchOptions(o)),
    lamb: (o) => new c.LAMB(o),
    lion: (o) => new c.Lion(torchOptions(o)),
    lookahead: (optimizer, choice = {}) => {
      if (!(optimizer instanceof c.FusedOptimizer))
        throw new TypeError('train.lookahead(optimizer): optimizer must be a fused optimizer of this tf (from fusedTrain(tf))');
      optimizer.configureLookahead(choice);
      return optimizer;
    },
    classes: {
      SGD: c.SGD, Momentum: c.Momentum, Adagrad: c.Adagrad, Adadelta: c.Adadelta, Adam: c.Adam, Adamax: c.Adamax,
      RMSProp: c.RMSProp, FusedAdamW: c.AdamW, FusedNAdam: c.NAdam, FusedRAdam: c.RAdam, FusedLAMB: c.LAMB, FusedLion: c.Lion,
    } as unknown as FusedTrain<FusedOptimizerBase>['classes'],
  };
  return train as unknown as FusedTrain<InstanceType<T['Optimizer']>>;
}

/**
 * Makes tf.loadLayersModel (and anything else that deserializes optimizers by class name) build
 * fused optimizers: 'Adam', 'SGD', ... then name the fused classes, and 'FusedAdamW', ... exist.
 * Opt-in, for this `tf` only; returns a function that restores the previous registrations.
 */
export function registerFusedOptimizers(tf: TfLike): () => void {
  const classes = fusedTrain(tf).classes;
  const map = tf.serialization.SerializationMap.getMap().classNameMap;
  const previous = Object.keys(classes).map((name) => [name, map[name]] as const);
  for (const cls of Object.values(classes)) tf.serialization.registerClass(cls);
  return () => {
    for (const [name, entry] of previous) {
      if (entry === undefined) delete map[name];
      else map[name] = entry;
    }
  };
}
