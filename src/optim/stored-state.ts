// stateDtype on the optimizer classes: which format each parameter's state takes, creating it,
// converting it (loadStateDict across formats), and keeping a group's format fixed while it lives.
import {
  bf16Bits, blockCount, DEFAULT_BLOCK_SIZE, DEFAULT_MIN_8BIT_SIZE, quantize, type StateDtype, UNSIGNED_STATE,
} from '../backend/state-format';
import { checkStateDtype, type StoredArgs } from '../functional/stored-layout';
import { stateToFloat32 } from '../functional/stored';
import { checkNumber, typeTagOf } from '../functional/validate';
import type { GroupCall } from './group-call';
import type { Parameter, ParamGroup, ParamState } from './types';
import { parameterLength } from './state';

/** The options every optimizer with stored state has. */
export interface StoredStateOptions {
  /** How the state buffers are stored: 'float32', 'bfloat16' or 'int8'; fixed once the group exists (see README "Low-memory state"). Default 'float32'. */
  stateDtype: StateDtype;
  /** With 'int8', tensors smaller than this keep float32 state (bitsandbytes' min_8bit_size). Default 4096. */
  min8bitSize: number;
}

export const STORED_DEFAULTS: StoredStateOptions = { stateDtype: 'float32', min8bitSize: DEFAULT_MIN_8BIT_SIZE };

export function checkStoredOptions(where: string, g: { stateDtype?: unknown; min8bitSize?: unknown }): void {
  checkStateDtype(`${where}.stateDtype`, g.stateDtype);
  checkNumber(`${where}.min8bitSize`, g.min8bitSize, { min: 0, integer: true });
}

/**
 * Makes a group's stateDtype read-only: assigning another value throws. Its state is stored in
 * that format; converting means a state dict round-trip, which a setter could not do atomically
 * (nor undo when a later step fails).
 */
export function lockStateDtype(group: ParamGroup & { stateDtype: StateDtype }, where: string): void {
  const dtype = group.stateDtype;
  Object.defineProperty(group, 'stateDtype', {
    enumerable: true,
    configurable: false,
    get: () => dtype,
    set: (value: unknown) => {
      if (value === dtype) return;
      throw new RangeError(
        `${where}.stateDtype is '${dtype}' and cannot change on a live group (its state is stored in that format). ` +
          `To convert: const sd = opt.stateDict(); create the optimizer anew with stateDtype ${JSON.stringify(value)}; ` +
          'then newOpt.loadStateDict(sd), which converts the state.',
      );
    },
  });
}

/** The format of a parameter's state in a group: int8 tensors below min8bitSize stay float32. */
export function formatFor(g: StoredStateOptions, p: Parameter): StateDtype {
  return g.stateDtype === 'int8' && parameterLength(p) < g.min8bitSize ? 'float32' : g.stateDtype;
}

/** The format a state object is stored in (its stateFormat field; float32 when absent). */
export const formatOf = (s: ParamState | undefined): StateDtype => (s?.stateFormat as StateDtype | undefined) ?? 'float32';

/** The names of a state's buffers (typed arrays), without the int8 absmax lists. */
export function bufferNames(s: ParamState): string[] {
  return Object.keys(s).filter((k) => typeTagOf(s[k]) !== undefined && !k.endsWith('Absmax'));
}

/** Buffers of the parameter's length in `format`, each holding `fill` (exactly, in bfloat16 and int8). */
export function storedZeros(p: Parameter, names: readonly string[], format: StateDtype, fill = 0): ParamState {
  const n = parameterLength(p);
  const s: ParamState = {};
  for (const name of names) {
    if (format === 'float32') s[name] = new Float32Array(n).fill(fill);
    else if (format === 'bfloat16') s[name] = new Uint16Array(n).fill(bf16Bits(fill));
    else {
      const q = quantize(new Float32Array(Math.min(n, DEFAULT_BLOCK_SIZE)).fill(fill), !UNSIGNED_STATE.has(name), DEFAULT_BLOCK_SIZE);
      s[name] = new Uint8Array(n).fill(q.codes[0] ?? 0);
      s[`${name}Absmax`] = new Float32Array(blockCount(n, DEFAULT_BLOCK_SIZE)).fill(q.absmax[0] ?? 0);
    }
  }
  if (format !== 'float32') s.stateFormat = format;
  if (format === 'int8') s.blockSize = DEFAULT_BLOCK_SIZE;
  return s;
}

/** A state converted to `format` (a copy; counters kept). Float32 in between: bfloat16 exactly, int8 dequantized. */
export function convertState(s: ParamState, format: StateDtype): ParamState {
  const from = formatOf(s);
  const blockSize = (s.blockSize as number | undefined) ?? DEFAULT_BLOCK_SIZE;
  const out: ParamState = {};
  for (const [k, v] of Object.entries(s)) if (typeTagOf(v) === undefined && k !== 'stateFormat' && k !== 'blockSize') out[k] = v;
  for (const name of bufferNames(s)) {
    const signed = !UNSIGNED_STATE.has(name);
    const value = s[name] as Float32Array | Uint16Array | Uint8Array;
    const float =
      from === 'int8'
        ? stateToFloat32({ codes: value as Uint8Array, absmax: s[`${name}Absmax`] as Float32Array }, signed, blockSize)
        : stateToFloat32(value as Float32Array | Uint16Array);
    if (format === 'float32') out[name] = float;
    else if (format === 'bfloat16') out[name] = Uint16Array.from(float, bf16Bits);
    else {
      const q = quantize(float, signed, DEFAULT_BLOCK_SIZE);
      out[name] = q.codes;
      out[`${name}Absmax`] = q.absmax;
    }
  }
  if (format !== 'float32') out.stateFormat = format;
  if (format === 'int8') out.blockSize = DEFAULT_BLOCK_SIZE;
  return out;
}

/**
 * The stored state of a group call's backend call in `format`: the layout and, with int8, the
 * absmax list of each state argument (functional argument name → state buffer name).
 */
export function storedArgs(format: StateDtype, call: GroupCall, args: Record<string, string>): StoredArgs | undefined {
  if (format === 'float32') return undefined;
  if (format === 'bfloat16') return { layout: { dtype: 'bfloat16', blockSize: DEFAULT_BLOCK_SIZE } };
  const absmax: Record<string, unknown> = {};
  for (const [arg, buffer] of Object.entries(args)) absmax[arg] = call.buffers(`${buffer}Absmax`);
  return { layout: { dtype: 'int8', blockSize: DEFAULT_BLOCK_SIZE }, absmax };
}

/** Bytes of every typed array in a state object. */
export function stateBytesOf(s: ParamState): number {
  let bytes = 0;
  for (const v of Object.values(s)) if (typeTagOf(v) !== undefined) bytes += (v as Uint8Array).byteLength;
  return bytes;
}
