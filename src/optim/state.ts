import type { Parameter, ParamState } from './optimizer';

/** Zero-filled buffers of the parameter's length, one per name. */
export function zeros(p: Parameter, names: string[], fill = 0): ParamState {
  const s: ParamState = {};
  for (const name of names) s[name] = new Float32Array(p.data.length).fill(fill);
  return s;
}

/** The named buffer of each state, for a functional call. */
export const buffers = (states: ParamState[], name: string) => states.map((s) => s[name] as Float32Array);
export const datas = (params: Parameter[]) => params.map((p) => p.data);
export const grads = (params: Parameter[]) => params.map((p) => p.grad as Float32Array);
