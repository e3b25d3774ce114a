// Out-of-place steps through the functional API: `options.paramsOut` receives the new params and
// the params themselves are only read, for callers whose tensors are immutable (the backends'
// `paramOut`, which fused-optim/tfjs uses too).
import type { StreamArg } from './stream-check';

export interface ParamsOutOption {
  /**
   * Arrays that receive the new params, one per param and of its length; the params are then
   * only read. An entry that is its param's own array is updated in place; no other memory may
   * be shared with any array of the call. Default: the params are updated in place.
   */
  paramsOut?: Float32Array[];
}

/** The params' argument first, and the outputs' last when there are any, for checkStreams. */
export function withParamsOut(options: ParamsOutOption, params: unknown, others: StreamArg[]): StreamArg[] {
  const out = options.paramsOut;
  if (out === undefined) return [{ name: 'params', list: params, written: true }, ...others];
  return [{ name: 'params', list: params, written: false }, ...others, { name: 'paramsOut', list: out, written: true, output: true }];
}

/** The kernel streams' `paramOut` field from the lists checked in withParamsOut's order. */
export function paramOutField(options: ParamsOutOption, lists: Float32Array[][]): { paramOut?: Float32Array[] } {
  return options.paramsOut === undefined ? {} : { paramOut: lists[lists.length - 1] };
}
