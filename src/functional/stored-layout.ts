// State lists stored other than as float32 (bfloat16 words, int8 codes with per-block absmax):
// the stateDtype/blockSize options and the check of such lists before a backend call.
import { BLOCK_SIZES, DEFAULT_BLOCK_SIZE, STATE_DTYPES, type StateDtype } from '../backend/state-format';
import { STATE_FORMAT_CODES, type StreamCache } from '../backend/types';
import { checkStreams, type StreamArg } from './stream-check';
import { checkNumber, type TensorType } from './validate';

/** How a call's state lists are stored when not as float32 (src/backend/state-format.ts). */
export interface StoredLayout {
  dtype: Exclude<StateDtype, 'float32'>;
  /** int8: elements per block, one absmax each. */
  blockSize: number;
}

/** Stored state of one call: its layout and, with int8, each state argument's absmax list (by argument name). */
export interface StoredArgs {
  layout: StoredLayout;
  absmax?: Record<string, unknown>;
}

/** A stateDtype option: one of STATE_DTYPES, else a TypeError/RangeError listing them. */
export function checkStateDtype(name: string, value: unknown): StateDtype {
  const allowed = STATE_DTYPES.map((d) => `'${d}'`).join(', ');
  if (typeof value !== 'string') throw new TypeError(`${name} must be one of ${allowed}, got ${typeof value}`);
  if (!(STATE_DTYPES as readonly string[]).includes(value)) throw new RangeError(`${name} must be one of ${allowed}, got '${value}'`);
  return value as StateDtype;
}

export function checkBlockSize(name: string, value: unknown): number {
  checkNumber(name, value, { integer: true });
  if (!BLOCK_SIZES.includes(value as number)) throw new RangeError(`${name} must be one of ${BLOCK_SIZES.join(', ')}, got ${value}`);
  return value as number;
}

/** The layout the functional options { stateDtype, blockSize } ask for; null for float32 state. */
export function storedLayout(options: { stateDtype?: unknown; blockSize?: unknown }): StoredLayout | null {
  const dtype = options.stateDtype === undefined ? 'float32' : checkStateDtype('stateDtype', options.stateDtype);
  const blockSize = options.blockSize === undefined ? DEFAULT_BLOCK_SIZE : checkBlockSize('blockSize', options.blockSize);
  return dtype === 'float32' ? null : { dtype, blockSize };
}

/**
 * checkStreams for a call that may have stored state: its state lists (the arguments with a
 * `stream`) are checked as Uint16Array (bfloat16) or Uint8Array (int8) tensors, and with int8
 * each one's absmax list too (named `${name}Absmax` in errors). Returns the checked lists of
 * `args` and the fields the kernel's streams object gains (see StoredFields).
 */
export function checkStateStreams(
  args: StreamArg[],
  cache: StreamCache | undefined,
  stored: StoredArgs | undefined,
): { lists: Float32Array[][]; fields: object } {
  if (stored === undefined) return { lists: checkStreams(args, cache), fields: {} };
  const { dtype, blockSize } = stored.layout;
  const int8 = dtype === 'int8';
  const typed = args.map((a) => (a.stream === undefined ? a : { ...a, type: (int8 ? 'Uint8Array' : 'Uint16Array') as TensorType }));
  const scales = int8
    ? args
        .filter((a) => a.stream !== undefined)
        .map((a) => ({ name: `${a.name}Absmax`, list: stored.absmax?.[a.name], written: true, blockSize, stream: `${a.stream}Absmax` }))
    : [];
  // The absmax lists are no state lists themselves: checked as Float32Array, with block counts.
  const all = checkStreams([...typed, ...scales.map(({ stream: _s, ...rest }) => rest)], cache);
  const fields: Record<string, unknown> = { stateFormat: STATE_FORMAT_CODES[dtype] };
  if (int8) {
    fields.blockSize = blockSize;
    scales.forEach((s, i) => (fields[s.stream] = all[args.length + i]));
  }
  return { lists: all.slice(0, args.length), fields };
}

