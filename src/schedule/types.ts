/**
 * Structural view of an optimizer, so schedulers work with any object shaped like the
 * package's optimizers (or a hand-rolled one) without importing them.
 */
export interface ParamGroupLike {
  lr: number;
  [option: string]: unknown;
}

export interface SchedulableOptimizer {
  paramGroups: ParamGroupLike[];
}

/** A JSON value: what every `stateDict()` in this module is made of. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * The state shared by every epoch-based scheduler. Subclasses add their own keys; `type`
 * guards against loading one scheduler's state into another kind.
 */
export interface SchedulerStateDict {
  type: string;
  lastEpoch: number;
  stepCount: number;
  baseLrs: number[];
  lastLr: number[];
  [key: string]: JsonValue;
}
