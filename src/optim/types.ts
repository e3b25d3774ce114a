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

/**
 * Per-parameter optimizer state: moment buffers and counters. With stateDtype 'bfloat16' the
 * buffers are Uint16Array words; with 'int8' Uint8Array codes, each with a Float32Array
 * `${name}Absmax` of block scales; `stateFormat` ('bfloat16' | 'int8', absent for float32) and
 * `blockSize` (int8) say so.
 */
export type ParamState = Record<string, Float32Array | Uint16Array | Uint8Array | number | string>;

export interface StateDict {
  /**
   * The optimizer class the state is for ('Adam', 'SGD', ...); loadStateDict refuses another
   * class's state. State dicts written before this field existed have none (see loadStateDict).
   */
  type?: string;
  /** Keyed by the parameter's position across all groups, as in PyTorch. */
  state: Record<number, ParamState>;
  paramGroups: Array<Record<string, unknown> & { params: number[] }>;
}

export interface StepOptions {
  /**
   * Multiplies every gradient inside the update without writing it back (e.g. a clip
   * coefficient). A finite number >= 0; NaN or Infinity only together with skipIfNonFinite,
   * which then skips the step. Default 1.
   */
  gradScale?: number;
  /** When any gradient (or gradScale) is NaN or Infinity, change nothing and return false. Default false. */
  skipIfNonFinite?: boolean;
}

export interface ZeroGradOptions {
  /** Set grads to null instead of filling them with zeros. Default false. */
  setToNone?: boolean;
}
