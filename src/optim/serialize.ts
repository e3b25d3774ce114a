// Checkpoints as bytes: any state dict (optimizer, Lookahead, scheduler, or an object holding
// several) with its Float32Arrays stored raw, so a resume is bit-exact. Stored optimizer state
// (stateDtype) is kept as it is: bfloat16 words and int8 codes as raw Uint16Array / Uint8Array.
//
// Layout (little-endian):
//   0  "FOPTSTAT"                 magic
//   8  u32 version (1)
//  12  u32 header length H
//  16  H bytes of JSON: the state dict with each Float32Array replaced by {"$f32": [offset, length]}
//      (offset in bytes from the start of the tensor area; Uint16Array "$u16", Uint8Array "$u8",
//      each padded to 4 bytes) and each non-finite number by {"$num": "NaN"|...}
//  ..  zero padding to a multiple of 4, then the tensor area
//  end u32 CRC-32 of every byte before it
import { crc32 } from 'node:zlib';

const MAGIC = 'FOPTSTAT';
const VERSION = 1;

type Tensor = Float32Array | Uint16Array | Uint8Array;
const TAGS = [
  ['$f32', Float32Array],
  ['$u16', Uint16Array],
  ['$u8', Uint8Array],
] as const;

function encode(value: unknown, tensors: Tensor[], offset: { bytes: number }): unknown {
  for (const [tag, Type] of TAGS)
    if (value instanceof Type) {
      const ref = { [tag]: [offset.bytes, value.length] };
      tensors.push(value);
      offset.bytes += Math.ceil(value.byteLength / 4) * 4;
      return ref;
    }
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $num: String(value) };
  if (Array.isArray(value)) return value.map((v) => encode(v, tensors, offset));
  if (value !== null && typeof value === 'object') {
    if (ArrayBuffer.isView(value)) throw new TypeError('only Float32Array, Uint16Array and Uint8Array tensors can be serialized');
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = encode(v, tensors, offset);
    return out;
  }
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint')
    throw new TypeError(`a ${typeof value} cannot be serialized`);
  return value;
}

function decode(value: unknown, area: DataView): unknown {
  if (Array.isArray(value)) return value.map((v) => decode(v, area));
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const [tag, Type] of TAGS) {
      if (!Array.isArray(o[tag])) continue;
      const [offset, length] = o[tag] as number[];
      const size = Type.BYTES_PER_ELEMENT;
      if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length * size > area.byteLength)
        throw new RangeError('corrupt checkpoint: a tensor lies outside the data');
      const out = new Type(length);
      for (let i = 0; i < length; i++)
        out[i] = size === 4 ? area.getFloat32(offset + 4 * i, true) : size === 2 ? area.getUint16(offset + 2 * i, true) : area.getUint8(offset + i);
      return out;
    }
    if (typeof o.$num === 'string') return Number(o.$num);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = decode(v, area);
    return out;
  }
  return value;
}

/** Serializes a state dict to bytes (versioned header, tensor table, CRC-32 checksum). */
export function serializeState(stateDict: object): Uint8Array {
  if (stateDict === null || typeof stateDict !== 'object') throw new TypeError('stateDict must be an object');
  const tensors: Tensor[] = [];
  const offset = { bytes: 0 };
  const header = new TextEncoder().encode(JSON.stringify(encode(stateDict, tensors, offset)));
  const areaStart = 16 + Math.ceil(header.length / 4) * 4;
  const out = new Uint8Array(areaStart + offset.bytes + 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, header.length, true);
  out.set(header, 16);
  let at = areaStart;
  for (const t of tensors) {
    if (t instanceof Float32Array) for (let i = 0; i < t.length; i++) view.setFloat32(at + 4 * i, t[i], true);
    else if (t instanceof Uint16Array) for (let i = 0; i < t.length; i++) view.setUint16(at + 2 * i, t[i], true);
    else out.set(t, at);
    at += Math.ceil(t.byteLength / 4) * 4;
  }
  view.setUint32(at, crc32(out.subarray(0, at)) >>> 0, true);
  return out;
}

/** Reads bytes written by serializeState; throws RangeError on a truncated or corrupt checkpoint. */
export function deserializeState<T = Record<string, unknown>>(bytes: Uint8Array): T {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  if (bytes.length < 20 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC)
    throw new RangeError('not a fused-optim checkpoint');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) throw new RangeError(`checkpoint version ${version} is not supported (expected ${VERSION})`);
  const end = bytes.length - 4;
  if ((crc32(bytes.subarray(0, end)) >>> 0) !== view.getUint32(end, true))
    throw new RangeError('corrupt checkpoint: checksum mismatch');
  const headerLength = view.getUint32(12, true);
  const areaStart = 16 + Math.ceil(headerLength / 4) * 4;
  if (areaStart > end) throw new RangeError('corrupt checkpoint: header longer than the data');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength)));
  return decode(header, new DataView(bytes.buffer, bytes.byteOffset + areaStart, end - areaStart)) as T;
}
