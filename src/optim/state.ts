import { isFloat32Array, tensorLength } from '../functional/validate';
import type { Parameter, ParamState } from './types';

/**
 * The optimizer's state map. Counts its changes, so a group call can tell that no parameter's
 * state object was replaced without looking each one up again.
 */
export class StateMap extends Map<Parameter, ParamState> {
  version = 0;
  override set(p: Parameter, s: ParamState): this {
    this.version++;
    return super.set(p, s);
  }
  override delete(p: Parameter): boolean {
    this.version++;
    return super.delete(p);
  }
  override clear(): void {
    this.version++;
    super.clear();
  }
}

/** Zero-filled buffers of the parameter's length, one per name. */
export function zeros(p: Parameter, names: string[], fill = 0): ParamState {
  const s: ParamState = {};
  const n = parameterLength(p);
  for (const name of names) s[name] = new Float32Array(n).fill(fill);
  return s;
}

export const datas = (params: Parameter[]) => params.map((p) => p.data);
export const grads = (params: Parameter[]) => params.map((p) => p.grad as Float32Array);

/** The engine's element count of a parameter (0 for a non-array, which the step then refuses). */
export const parameterLength = (p: Parameter): number => (isFloat32Array(p.data) ? tensorLength(p.data) : 0);
