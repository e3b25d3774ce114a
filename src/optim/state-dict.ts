// State dicts: an optimizer's state and options as a plain snapshot, and restoring one after
// checking all of it (buffer types and lengths, counts, the optimizer type, the group shapes).
import { blockCount } from '../backend/state-format';
import { tensorLength, typeTagOf } from '../functional/validate';
import { cloneValue } from './clone';
import { checkMisspeltKeys } from './option-checks';
import { parameterLength } from './state';
import { convertState, formatFor, formatOf, type StoredStateOptions } from './stored-state';
import type { ParamGroup, Parameter, ParamState, StateDict } from './types';

/** What the state-dict functions read and change of an optimizer. */
export interface StateDictHost {
  /** The class name recorded in state dicts and required of those loaded. */
  readonly stateType: string;
  readonly paramGroups: ParamGroup[];
  readonly state: Map<Parameter, ParamState>;
  /** Option names and the other keys a group may carry. */
  readonly knownKeys: readonly string[];
  /** The optimizer's check of a group's options. */
  checkGroup(group: ParamGroup, where: string): void;
}

export function collectStateDict(host: StateDictHost, copyState: (s: ParamState) => ParamState): StateDict {
  const state: Record<number, ParamState> = {};
  const paramGroups: StateDict['paramGroups'] = [];
  let index = 0;
  for (const group of host.paramGroups) {
    const ids: number[] = [];
    for (const p of group.params) {
      const s = host.state.get(p);
      if (s) state[index] = copyState(s);
      ids.push(index++);
    }
    const { params: _params, ...options } = group;
    paramGroups.push({ ...(cloneValue(options) as Record<string, unknown>), params: ids });
  }
  return { type: host.stateType, state, paramGroups };
}


/**
 * Restores a snapshot taken from an optimizer of the same class and shape (on either backend),
 * copying it: later changes to `stateDict` do not reach the optimizer. Checks everything first;
 * a refused state dict leaves the optimizer unchanged. A state dict of another class is refused
 * with both names. One without a `type` (written before state dicts recorded it) is accepted
 * when its groups name only this optimizer's options.
 */
export function loadStateDict(host: StateDictHost, stateDict: StateDict): void {
  if (stateDict === null || typeof stateDict !== 'object' || !Array.isArray(stateDict.paramGroups))
    throw new TypeError('stateDict must have a paramGroups array');
  if (stateDict.state === null || typeof stateDict.state !== 'object')
    throw new TypeError('stateDict must have a state object');
  const type: unknown = stateDict.type;
  if (type !== undefined && type !== host.stateType)
    throw new TypeError(`stateDict is for ${String(type)}, not ${host.stateType}: load it into a ${String(type)} optimizer`);
  const groups = stateDict.paramGroups;
  if (groups.length !== host.paramGroups.length)
    throw new RangeError(`stateDict has ${groups.length} parameter groups, the optimizer has ${host.paramGroups.length}`);
  const byIndex: Parameter[] = [];
  groups.forEach((g, i) => {
    const own = host.paramGroups[i].params;
    if (!Array.isArray(g.params) || g.params.length !== own.length)
      throw new RangeError(`stateDict.paramGroups[${i}] has a different number of parameters`);
    g.params.forEach((id, k) => {
      if (!Number.isInteger(id) || id < 0 || byIndex[id] !== undefined)
        throw new RangeError(`stateDict.paramGroups[${i}].params[${k}] must be a parameter index used once, got ${id}`);
      byIndex[id] = own[k];
    });
  });
  // Check everything before changing anything.
  const groupOf = new Map<Parameter, ParamGroup>();
  for (const g of host.paramGroups) for (const p of g.params) groupOf.set(p, g);
  const restored = new Map<Parameter, ParamState>();
  for (const [key, s] of Object.entries(stateDict.state)) {
    const p = byIndex[Number(key)];
    if (p === undefined) throw new RangeError(`stateDict.state[${key}] matches no parameter`);
    const copy = checkStateEntry(`stateDict.state[${key}]`, s, parameterLength(p));
    // Stored in this optimizer's format for the parameter (stateDtype), whatever the dict's.
    const group = groupOf.get(p) as ParamGroup;
    const target = 'stateDtype' in group ? formatFor(group as unknown as StoredStateOptions, p) : 'float32';
    restored.set(p, formatOf(copy) === target ? copy : convertState(copy, target));
  }
  const newGroups = groups.map((g, i) => {
    const { params: _ids, ...options } = g;
    const where = `stateDict.paramGroups[${i}]`;
    if (type === undefined)
      for (const key of Object.keys(options))
        if (!host.knownKeys.includes(key))
          throw new TypeError(
            `${where} has option '${key}', which ${host.stateType} does not have: this state dict (which records ` +
              `no optimizer type) looks like another optimizer's`,
          );
    checkMisspeltKeys(where, Object.keys(options), host.knownKeys);
    // The format is the optimizer's own (its state was converted to it above).
    const { stateDtype: _dtype, min8bitSize: _min, ...kept } = options;
    const merged = { ...host.paramGroups[i], ...(cloneValue(kept) as object) } as ParamGroup;
    host.checkGroup(merged, `stateDict.paramGroups[${i}]`);
    return merged;
  });
  host.state.clear();
  for (const [p, s] of restored) host.state.set(p, s);
  newGroups.forEach((g, i) => Object.assign(host.paramGroups[i], g));
}

const STATE_TYPES = ['Float32Array', 'Uint16Array', 'Uint8Array'];

/**
 * A copy of one parameter's state from a state dict, checked: buffers of the parameter's length
 * (int8 absmax lists: one value per block), finite counters, and a known format with the
 * buffer types it implies.
 */
function checkStateEntry(where: string, s: unknown, length: number): ParamState {
  if (s === null || typeof s !== 'object') throw new TypeError(`${where} must be an object`);
  const entry = s as Record<string, unknown>;
  const format = entry.stateFormat ?? 'float32';
  if (format !== 'float32' && format !== 'bfloat16' && format !== 'int8')
    throw new RangeError(`${where}.stateFormat must be 'bfloat16' or 'int8' (absent for float32), got ${String(format)}`);
  const blockSize = entry.blockSize;
  if (format === 'int8' && !(typeof blockSize === 'number' && [256, 512, 1024, 2048, 4096].includes(blockSize)))
    throw new RangeError(`${where}.blockSize must be 256, 512, 1024, 2048 or 4096 for int8 state, got ${String(blockSize)}`);
  const bufferType = format === 'float32' ? 'Float32Array' : format === 'bfloat16' ? 'Uint16Array' : 'Uint8Array';
  const copy: ParamState = {};
  for (const [name, value] of Object.entries(entry)) {
    const tag = typeTagOf(value);
    if (name === 'stateFormat') copy[name] = format as string;
    else if (tag !== undefined && STATE_TYPES.includes(tag)) {
      const absmax = format === 'int8' && name.endsWith('Absmax');
      const want = absmax ? 'Float32Array' : bufferType;
      if (tag !== want) throw new TypeError(`${where}.${name} must be a ${want} (${format} state), got a ${tag}`);
      const n = tensorLength(value as Float32Array);
      const expected = absmax ? blockCount(length, blockSize as number) : length;
      if (n !== expected)
        throw new RangeError(`${where}.${name} has length ${n}, ${absmax ? `the parameter has ${expected} blocks` : `the parameter has ${length}`}`);
      copy[name] = (value as Float32Array).slice();
    } else if (typeof value === 'number' && Number.isFinite(value)) copy[name] = value;
    else throw new TypeError(`${where}.${name} must be a typed array of state or a finite number`);
  }
  if (format === 'int8')
    for (const name of Object.keys(copy))
      if (typeTagOf(copy[name]) === 'Uint8Array' && typeTagOf(copy[`${name}Absmax`]) !== 'Float32Array')
        throw new TypeError(`${where}.${name}Absmax is missing: int8 state needs each buffer's block scales`);
  return copy;
}
