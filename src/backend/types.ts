// The one interface both backends implement. Everything here is already validated by the
// functional layer: backends trust their arguments (the native addon re-checks memory safety).

export type BackendName = 'native' | 'js';

/** Weight decay kinds: none, L2 folded into the gradient (Adam), decoupled (AdamW). */
export const Decay = { None: 0, L2: 1, Decoupled: 2 } as const;
export type Decay = (typeof Decay)[keyof typeof Decay];

/** Per-step scalars of Adam/AdamW, computed once per step in double (see functional/adam.ts). */
export interface AdamScalars {
  gradScale: number;
  l2: number;
  paramDecay: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  stepSize: number;
  bc2Sqrt: number;
  eps: number;
  decay: Decay;
  amsgrad: boolean;
}

export interface AdamTensors {
  params: Float32Array[];
  grads: Float32Array[];
  expAvgs: Float32Array[];
  expAvgSqs: Float32Array[];
  /** Present only with amsgrad. */
  maxExpAvgSqs: Float32Array[] | null;
}

/** Reductions over a list of tensors, accumulated in double. maxAbs is NaN if any value is. */
export type ReduceOp = 'sumSquares' | 'sumAbs' | 'maxAbs';

export interface Backend {
  readonly name: BackendName;
  adam(tensors: AdamTensors, scalars: AdamScalars): void;
  reduce(tensors: Float32Array[], op: ReduceOp): number;
}
