// Stored optimizer state through the functional API (stateDtype): the public form of an int8
// state tensor, turning lists of them into the kernels' code and absmax lists, and helpers to
// create and read state in any format.
import {
  bf16Bits, bf16Value, blockCount, DEFAULT_BLOCK_SIZE, dequantize, quantize, type StateDtype,
} from '../backend/state-format';
import { checkBlockSize, checkStateDtype, storedLayout, type StoredArgs } from './stored-layout';
import { isFloat32Array, typeTagOf } from './validate';

/** One tensor's int8 state: a code per element, a float32 absmax per block (src/backend/state-format.ts). */
export interface Int8State {
  codes: Uint8Array;
  absmax: Float32Array;
}

/** A state tensor in any stateDtype: Float32Array, Uint16Array (bfloat16 words) or Int8State. */
export type StateTensor = Float32Array | Uint16Array | Int8State;

/**
 * The stored form of a functional call's state lists (by argument name), as the plan functions
 * take them: int8 lists of Int8State become code lists plus absmax lists. Float32 state: no change.
 */
export function splitState<T extends Record<string, unknown>>(
  options: { stateDtype?: unknown; blockSize?: unknown },
  lists: T,
): { lists: T; stored?: StoredArgs } {
  const layout = storedLayout(options);
  if (layout === null) return { lists };
  if (layout.dtype === 'bfloat16') return { lists, stored: { layout } };
  const codes: Record<string, unknown> = {}, absmax: Record<string, unknown> = {};
  for (const [name, list] of Object.entries(lists)) {
    if (list === null || list === undefined) {
      codes[name] = list;
      continue;
    }
    if (!Array.isArray(list)) throw new TypeError(`${name} must be an array of Int8State ({ codes, absmax })`);
    codes[name] = list.map((s: unknown, i) => {
      if (s === null || typeof s !== 'object') throw new TypeError(`${name}[${i}] must be an Int8State ({ codes, absmax })`);
      return (s as Int8State).codes;
    });
    absmax[name] = list.map((s: Int8State) => s.absmax);
  }
  return { lists: codes as T, stored: { layout, absmax } };
}

/** A zero state tensor of `length` elements in the given format (int8: blocks of `blockSize`). */
export function createState(length: number, stateDtype: StateDtype = 'float32', blockSize = DEFAULT_BLOCK_SIZE): StateTensor {
  const dtype = checkStateDtype('stateDtype', stateDtype);
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
  if (dtype === 'float32') return new Float32Array(length);
  if (dtype === 'bfloat16') return new Uint16Array(length);
  return { codes: new Uint8Array(length), absmax: new Float32Array(blockCount(length, checkBlockSize('blockSize', blockSize))) };
}

/**
 * A state tensor's values as float32 (bfloat16 exactly, int8 dequantized). `signed` says which
 * int8 map the tensor uses: true for first moments and momentum, false for second moments and sums.
 */
export function stateToFloat32(state: StateTensor, signed = true, blockSize = DEFAULT_BLOCK_SIZE): Float32Array {
  if (isFloat32Array(state)) return state.slice();
  if (typeTagOf(state) === 'Uint16Array') return Float32Array.from(state as Uint16Array, bf16Value);
  const s = state as Int8State;
  if (typeTagOf(s?.codes) !== 'Uint8Array' || !isFloat32Array(s.absmax)) throw new TypeError('state must be a Float32Array, a Uint16Array or an Int8State');
  const size = checkBlockSize('blockSize', blockSize);
  if (s.absmax.length !== blockCount(s.codes.length, size))
    throw new RangeError(`state.absmax has length ${s.absmax.length}, expected ${blockCount(s.codes.length, size)} blocks of ${size}`);
  return dequantize(s, signed, size);
}

/** float32 values stored in the given format (bfloat16 rounded to nearest even, int8 quantized block-wise). */
export function stateFromFloat32(values: Float32Array, stateDtype: StateDtype, signed = true, blockSize = DEFAULT_BLOCK_SIZE): StateTensor {
  const dtype = checkStateDtype('stateDtype', stateDtype);
  if (!isFloat32Array(values)) throw new TypeError('values must be a Float32Array');
  if (dtype === 'float32') return values.slice();
  if (dtype === 'bfloat16') return Uint16Array.from(values, bf16Bits);
  return quantize(values, signed, checkBlockSize('blockSize', blockSize));
}
