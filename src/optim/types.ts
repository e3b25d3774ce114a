// The shapes the optimizers take and give: parameters, groups, state and state dicts.

export interface Parameter {
  data: Float32Array;
  grad: Float32Array | null;
  name?: string;
}

export interface ParamGroup {
  params: Parameter[];
  [option: string]: unknown;
}

/** Per-parameter optimizer state: moment buffers and counters. */
export type ParamState = Record<string, Float32Array | number>;

export interface StateDict {
  /** Keyed by the parameter's position across all groups, as in PyTorch. */
  state: Record<number, ParamState>;
  paramGroups: Array<Record<string, unknown> & { params: number[] }>;
}

export interface StepOptions {
  /** Multiplies every gradient inside the update without writing it back (e.g. a clip coefficient). */
  gradScale?: number;
  /** When any gradient holds NaN or Infinity, change nothing and return false. */
  skipIfNonFinite?: boolean;
}

export interface ZeroGradOptions {
  /** Set grads to null instead of filling them with zeros. */
  setToNone?: boolean;
}
