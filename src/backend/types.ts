// The one interface both backends implement, and the per-step scalars of every kernel kind.
// Names and order match native/kernels/kinds.h, which the native backend checks at load time.
// Everything arriving here is already validated by the functional layer: backends trust their
// arguments (the native addon re-checks memory safety).

export type BackendName = 'native' | 'wasm' | 'js';

type Tensors = Float32Array[];

/** Weight decay kinds of the Adam family: none, L2 folded into the gradient (Adam), decoupled (AdamW). */
export const Decay = { None: 0, L2: 1, Decoupled: 2 } as const;
export type Decay = (typeof Decay)[keyof typeof Decay];

/** Per-step scalars of each kind, computed once per step in double by src/functional. */
export interface KernelScalars {
  adam: {
    gradScale: number; l2: number; paramDecay: number; oneMinusBeta1: number; beta2: number;
    oneMinusBeta2: number; stepSize: number; bc2Sqrt: number; eps: number; decay: Decay; amsgrad: boolean;
  };
  sgd: {
    gradScale: number; weightDecay: number; hasWeightDecay: boolean; momentum: number;
    oneMinusDampening: number; lr: number; hasMomentum: boolean; nesterov: boolean; firstStep: boolean;
  };
  adagrad: { gradScale: number; weightDecay: number; hasWeightDecay: boolean; clr: number; eps: number };
  rmsprop: {
    gradScale: number; weightDecay: number; hasWeightDecay: boolean; alpha: number; oneMinusAlpha: number;
    eps: number; lr: number; momentum: number; hasMomentum: boolean; centered: boolean;
  };
  adadelta: {
    gradScale: number; weightDecay: number; hasWeightDecay: boolean; rho: number; oneMinusRho: number;
    eps: number; lr: number;
  };
  adamax: {
    gradScale: number; weightDecay: number; hasWeightDecay: boolean; oneMinusBeta1: number; beta2: number;
    eps: number; clr: number;
  };
  nadam: {
    gradScale: number; weightDecay: number; hasWeightDecay: boolean; oneMinusBeta1: number; beta2: number;
    oneMinusBeta2: number; bc2: number; eps: number; gradStep: number; avgStep: number;
  };
  radam: {
    gradScale: number; weightDecay: number; hasWeightDecay: boolean; oneMinusBeta1: number; beta2: number;
    oneMinusBeta2: number; bc1: number; bc2Sqrt: number; eps: number; lr: number; rect: number; rectified: boolean;
  };
  lion: {
    gradScale: number; paramDecay: number; lr: number; beta1: number; oneMinusBeta1: number; beta2: number;
    oneMinusBeta2: number;
  };
  lamb: {
    gradScale: number; oneMinusBeta1: number; beta2: number; oneMinusBeta2: number; bc1: number; bc2: number;
    eps: number; weightDecay: number; hasWeightDecay: boolean; lr: number;
  };
  lookahead: { alpha: number };
  scale: { factor: number };
  accumulate: { scale: number };
  clamp: { clipValue: number };
  probe: { unused: number };
  tf_adam: {
    gradScale: number; beta1: number; oneMinusBeta1: number; beta2: number; oneMinusBeta2: number;
    oneMinusAccBeta1: number; oneMinusAccBeta2: number; eps: number; lr: number;
  };
  tf_adagrad: { gradScale: number; eps: number; lr: number };
  tf_adadelta: { gradScale: number; rho: number; oneMinusRho: number; eps: number; lr: number };
  tf_adamax: { gradScale: number; beta1: number; oneMinusBeta1: number; beta2: number; eps: number; stepSize: number };
  tf_rmsprop: {
    gradScale: number; alpha: number; oneMinusAlpha: number; momentum: number; eps: number; lr: number; centered: boolean;
  };
}

/** The tensor lists ("streams") of each kind; optional ones are null when their flag is off. */
export interface KernelStreams {
  adam: { param: Tensors; grad: Tensors; expAvg: Tensors; expAvgSq: Tensors; maxExpAvgSq: Tensors | null };
  sgd: { param: Tensors; grad: Tensors; momentumBuffer: Tensors | null };
  adagrad: { param: Tensors; grad: Tensors; sum: Tensors };
  rmsprop: { param: Tensors; grad: Tensors; squareAvg: Tensors; gradAvg: Tensors | null; momentumBuffer: Tensors | null };
  adadelta: { param: Tensors; grad: Tensors; squareAvg: Tensors; accDelta: Tensors };
  adamax: { param: Tensors; grad: Tensors; expAvg: Tensors; expInf: Tensors };
  nadam: { param: Tensors; grad: Tensors; expAvg: Tensors; expAvgSq: Tensors };
  radam: { param: Tensors; grad: Tensors; expAvg: Tensors; expAvgSq: Tensors };
  lion: { param: Tensors; grad: Tensors; expAvg: Tensors };
  lamb: { param: Tensors; grad: Tensors; expAvg: Tensors; expAvgSq: Tensors };
  lookahead: { slow: Tensors; fast: Tensors };
  scale: { x: Tensors };
  accumulate: { dst: Tensors; src: Tensors };
  clamp: { x: Tensors };
  /** The benchmark's bandwidth probe: a += b, c += b, d += b. */
  probe: { a: Tensors; b: Tensors; c: Tensors; d: Tensors };
  /** TensorFlow.js's formulas (fused-optim/tfjs); state named after tfjs-core's slots. */
  tf_adam: { param: Tensors; grad: Tensors; m: Tensors; v: Tensors };
  tf_adagrad: { param: Tensors; grad: Tensors; accumulator: Tensors };
  tf_adadelta: { param: Tensors; grad: Tensors; accumGrad: Tensors; accumUpdate: Tensors };
  tf_adamax: { param: Tensors; grad: Tensors; m: Tensors; u: Tensors };
  tf_rmsprop: { param: Tensors; grad: Tensors; ms: Tensors; mom: Tensors; mg: Tensors | null };
}

export type Kind = keyof KernelScalars;

/** How a streams object says its state is stored (stateDtype): 0 float32, 1 bfloat16, 2 int8. */
export const STATE_FORMAT_CODES = { float32: 0, bfloat16: 1, int8: 2 } as const;

/**
 * The fields a kind's streams object gains when its state is stored (src/backend/state-format.ts):
 * every list after param and grad then holds Uint16Array (bfloat16) or Uint8Array (int8 codes)
 * tensors, and with int8 each such list `name` has a list `${name}Absmax` of per-block scales.
 * LAMB and the element-wise helpers have no stored form.
 */
export interface StoredFields {
  stateFormat: 1 | 2;
  blockSize?: number;
  [absmax: `${string}Absmax`]: Float32Array[] | null;
}

/** Reductions over a list of tensors, accumulated in double. maxAbs is NaN if any value is; `sum` is the read-only bandwidth probe. */
export type ReduceOp = 'sumSquares' | 'sumAbs' | 'maxAbs' | 'sum';
/** How the native and wasm builds number the reductions (native/addon.cpp, native/wasm/exports.cpp). */
export const REDUCE_OP_CODES: Record<ReduceOp, number> = { sumSquares: 0, sumAbs: 1, maxAbs: 2, sum: 3 };

/**
 * A call site's memory across steps (an optimizer keeps one per group): the lists last validated
 * there, and whatever the backend derived from them (the native addon's unwrapped pointers).
 * It is reused only while every array is the same object with the same length.
 */
export interface StreamCache {
  /** The list objects the caller passed last time: the caller builds a new list whenever its contents change. */
  sources?: unknown[];
  /** The validated lists as the caller's arrays, to compare with and to validate anew. */
  originals?: Float32Array[][];
  /** The same as private views (see privateView): what the backend gets, and the handle was made from. */
  lists?: Float32Array[][];
  /** Some array's length can change without a detach (resizable or growable buffer): its own length, not the view's, is what must hold. */
  resizable?: boolean;
  /** Each list's argument name and whether it is written, to validate anew with the same errors. */
  names?: string[];
  written?: boolean[];
  /** Each list's element type and, for an int8 absmax list, its block size (stored state). */
  types?: (string | undefined)[];
  blockSizes?: (number | undefined)[];
  /** Every array's length when validated, in list order. */
  lengths?: number[];
  /** Elements per stream: the sum of the first list's lengths. */
  elements?: number;
  /** The lists were handed out for a step that has not yet verified them (see verifyCache). */
  pending?: boolean;
  handle?: unknown;
}

export interface Backend {
  readonly name: BackendName;
  /** One fused pass of `kind` over every tensor of the streams (LAMB: two passes, per-tensor trust ratio). */
  step<K extends Kind>(kind: K, streams: KernelStreams[K], scalars: KernelScalars[K], cache?: StreamCache): void;
  /** The same update off the JS thread (native: a libuv worker); resolves when it is done. */
  stepAsync<K extends Kind>(kind: K, streams: KernelStreams[K], scalars: KernelScalars[K], cache?: StreamCache): Promise<void>;
  reduce(tensors: Float32Array[], op: ReduceOp): number;
  /** A step over about this many elements is about to be planned: a hint to get worker threads up. */
  prepare(elements: number): void;
}
