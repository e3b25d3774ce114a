// Which parameters of a group share a backend call: those at the same next step count, with
// state in the same format.
import { formatOf } from './stored-state';
import type { Parameter, ParamState } from './types';

export interface StepBucket {
  params: Parameter[];
  states: ParamState[];
}

/**
 * A group's parameters split by next step count (parameters that missed steps have their own)
 * and state format (int8 groups keep small tensors in float32): one backend call each, one in
 * the usual case. Missing state is made by `init` and kept apart in `fresh`, since it enters the
 * optimizer only once its first update has run.
 */
export function splitByStep(
  params: readonly Parameter[],
  state: Map<Parameter, ParamState>,
  init: (p: Parameter, existing: ParamState | undefined) => ParamState | undefined,
): { buckets: StepBucket[]; fresh: Map<Parameter, ParamState> } {
  const fresh = new Map<Parameter, ParamState>();
  const buckets = new Map<string, StepBucket>();
  for (const p of params) {
    const existing = state.get(p);
    const created = init(p, existing);
    if (created !== undefined) fresh.set(p, created);
    const s = (created ?? existing) as ParamState;
    const key = `${((s.step as number | undefined) ?? 0) + 1} ${formatOf(s)}`;
    const bucket = buckets.get(key) ?? { params: [], states: [] };
    bucket.params.push(p);
    bucket.states.push(s);
    buckets.set(key, bucket);
  }
  return { buckets: [...buckets.values()], fresh };
}
