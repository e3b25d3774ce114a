// The one interface every backend implements. The kernel kinds, their scalars and streams are
// in ./kinds.ts (checked against the addon's and the wasm module's tables at load time).
// Everything arriving here is already validated by the functional layer: backends trust their
// arguments (the native addon re-checks memory safety).

import type { KernelScalars, KernelStreams, Kind } from './kinds';

export { Decay, type KernelScalars, type KernelStreams, type Kind } from './kinds';

export type BackendName = 'native' | 'wasm' | 'js';

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

/**
 * The field a streams object gains when its step is out of place: the new params are written to
 * `paramOut` (one array per param, of its length), the params themselves are only read. An
 * output that is its param's own array is updated in place; no other memory may be shared with
 * an output. Every kind whose first stream is `param` takes it (LAMB included).
 */
export interface OutputField {
  paramOut?: Float32Array[] | null;
}

/** Reductions over a list of tensors, accumulated in double. maxAbs is NaN if any value is. */
export type ReduceOp = 'sumSquares' | 'sumAbs' | 'maxAbs';
/** How the native and wasm builds number the reductions (native/kernels/host_math.h: ReduceOp). */
export const REDUCE_OP_CODES: Record<ReduceOp, number> = { sumSquares: 0, sumAbs: 1, maxAbs: 2 };

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
  /** Which list is the params' outputs (paramOut). */
  outputs?: boolean[];
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
