// One backend call of a parameter group, remembered across steps. A training loop updates the
// same parameters with the same state buffers step after step; rebuilding and re-validating
// four lists of a thousand tensors each time costs more than the update itself. A group call
// keeps the lists it built and hands out the very same list objects while every identity they
// were built from still holds, which lets the stream check and the native addon's unwrapped
// pointers be reused (see StreamCache).
import type { StreamCache } from '../backend/types';
import type { Parameter, ParamState } from './types';
import type { StateMap } from './state';

export class GroupCall {
  readonly cache: StreamCache = {};
  private paramList: Parameter[] = [];
  private stateList: ParamState[] = [];
  private dataList: Float32Array[] | undefined;
  private gradList: (Float32Array | null)[] | undefined;
  private readonly bufferLists = new Map<string, Float32Array[]>();
  /** The check of bufferLists' buffers, made for their names once they are all known. */
  private sameBuffers: SameBuffers | undefined;
  /** The state map's version when every state object was last seen to be the one in it. */
  private stateVersion = -1;

  get params(): readonly Parameter[] {
    return this.paramList;
  }

  get states(): readonly ParamState[] {
    return this.stateList;
  }

  /** Starts over with other parameters: every list is built anew on demand. */
  reset(params: Parameter[], states: ParamState[]): void {
    this.stateVersion = -1;
    this.paramList = params;
    this.stateList = states;
    this.dataList = this.gradList = undefined;
    this.bufferLists.clear();
    this.sameBuffers = undefined;
  }

  datas(): Float32Array[] {
    return (this.dataList ??= this.paramList.map((p) => p.data));
  }

  grads(): Float32Array[] {
    return (this.gradList ??= this.paramList.map((p) => p.grad)) as Float32Array[];
  }

  /** The state buffer `name` of every parameter. */
  buffers(name: string): Float32Array[] {
    let list = this.bufferLists.get(name);
    if (list === undefined) {
      this.bufferLists.set(name, (list = this.stateList.map((s) => s[name] as Float32Array)));
      this.sameBuffers = undefined;
    }
    return list;
  }

  /**
   * True when `params` are the parameters of the last step, in the same order, each with the
   * same data and grad arrays, the same state object in `state` at the same step count, and
   * the same state buffers, among which all of `buffers`: then the lists handed out last time
   * are still right, and every state has the buffers the step needs.
   */
  holds(params: Parameter[], state: StateMap, buffers: readonly string[]): boolean {
    const own = this.paramList, states = this.stateList;
    const n = own.length;
    if (params.length !== n || n === 0 || this.dataList === undefined || this.gradList === undefined) return false;
    for (const name of buffers) if (!this.bufferLists.has(name)) return false;
    const datas = this.dataList, grads = this.gradList;
    for (let i = 0; i < n; i++) {
      const p = params[i];
      if (p !== own[i] || p.data !== datas[i] || p.grad !== grads[i]) return false;
    }
    if (state.version !== this.stateVersion) {
      for (let i = 0; i < n; i++) if (state.get(own[i]) !== states[i]) return false;
      this.stateVersion = state.version;
    }
    const step = states[0].step;
    for (let i = 0; i < n; i++) if (states[i].step !== step) return false;
    this.sameBuffers ??= sameBuffersFor([...this.bufferLists.keys()]);
    return this.sameBuffers(states, [...this.bufferLists.values()]);
  }
}

type SameBuffers = (states: readonly ParamState[], lists: Float32Array[][]) => boolean;
const sameBuffersByNames = new Map<string, SameBuffers>();

/** The same check with the names as variables: for hosts that forbid compiling code from strings. */
function sameBuffersLooping(names: string[]): SameBuffers {
  return (states, lists) => {
    for (let k = 0; k < names.length; k++)
      for (let i = 0; i < states.length; i++) if (states[i][names[k]] !== lists[k][i]) return false;
    return true;
  };
}

/**
 * A check that states[i][names[k]] === lists[k][i] for every i and k, compiled for the given
 * names. Reading a property whose name is a variable goes through V8's slow keyed lookup (about
 * 12 ns a read, 25 µs a step for 1000 Adam tensors); with the names written into the code the
 * reads are plain field loads, ten times faster. The names are this library's own buffer names,
 * never user input, and are quoted with JSON.stringify all the same. Where compiling from
 * strings is not allowed (--disallow-code-generation-from-strings, SES, some vm contexts), the
 * looping version does the same check.
 */
function sameBuffersFor(names: string[]): SameBuffers {
  const key = names.join(',');
  let check = sameBuffersByNames.get(key);
  if (check === undefined) {
    const tests = names.map((name, k) => `s[${JSON.stringify(name)}] !== lists[${k}][i]`).join(' || ');
    const body = `for (let i = 0; i < states.length; i++) { const s = states[i]; if (${tests || 'false'}) return false; } return true;`;
    try {
      check = new Function('states', 'lists', body) as SameBuffers;
    } catch {
      check = sameBuffersLooping(names);
    }
    sameBuffersByNames.set(key, check);
  }
  return check;
}
