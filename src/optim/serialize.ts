// Checkpoints as bytes: any state dict (optimizer, Lookahead, scheduler, or an object holding
// several) with its Float32Arrays stored raw, so a resume is bit-exact. Stored optimizer state
// (stateDtype) is kept as it is: bfloat16 words and int8 codes as raw Uint16Array / Uint8Array.
//
// Layout (little-endian):
//   0  "FOPTSTAT"                 magic
//   8  u32 version (1)
//  12  u32 header length H
//  16  H bytes of JSON: the state dict with each Float32Array replaced by {"$f32": [offset, length]}
//      (offset in bytes from the start of the tensor area; a Uint16Array is {"$u16": [...]}, a
//      Uint8Array {"$u8": [...]}) and each non-finite number (and -0) by
//      {"$num": "NaN"|"Infinity"|"-Infinity"|"-0"}
//  ..  zero padding to a multiple of 4, then the tensor area: the tensors back to back, in the
//      order the JSON names them, each padded with zeros to a multiple of 4 bytes
//  end u32 CRC-32 of every byte before it
//
// Reading trusts nothing: every length is checked against the bytes there are before anything
// is allocated, so a forged or damaged file costs at most its own size in memory.
import { crc32 } from 'node:zlib';

const MAGIC = 'FOPTSTAT';
const VERSION = 1;
/** Deeper than any state dict; guards the recursive walks against forged or cyclic input. */
const MAX_DEPTH = 256;
/** Whether this machine stores floats little-endian, as the file does: then tensors copy as bytes. */
const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

const SERIALIZABLE = 'plain objects, arrays, strings, numbers, booleans, null, Float32Array, Uint16Array and Uint8Array';

type Tensor = Float32Array | Uint16Array | Uint8Array;
type TensorType = typeof Float32Array | typeof Uint16Array | typeof Uint8Array;
/**
 * Each tensor type with its tag in the header. $u16 and $u8 (stored state) came later within
 * version 1: a reader that predates them decodes such a tensor as a plain object, which
 * loadStateDict refuses, so no old reader takes a file it cannot read for valid state.
 */
const TAGS: ReadonlyArray<readonly [string, TensorType]> = [
  ['$f32', Float32Array],
  ['$u16', Uint16Array],
  ['$u8', Uint8Array],
];
const RESERVED = ['$f32', '$u16', '$u8', '$num'];
/** Bytes a tensor takes in the tensor area: its own, padded to a multiple of 4. */
const padded = (bytes: number) => Math.ceil(bytes / 4) * 4;

function tensorTag(value: object): string | undefined {
  const proto = Object.getPrototypeOf(value);
  for (const [tag, Type] of TAGS) if (value instanceof Type && proto === Type.prototype) return tag;
  return undefined;
}

function refuse(path: string, what: string): never {
  throw new TypeError(`serializeState: ${path} is ${what}, which cannot be serialized (only ${SERIALIZABLE})`);
}

function describe(value: object): string {
  if (ArrayBuffer.isView(value)) return `a ${value.constructor?.name ?? 'typed array'}`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object with a prototype';
}

/** Property names as JS writes them after a path: .name, or ["odd name"]. */
const member = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : /^\d+$/.test(key) ? `[${key}]` : `[${JSON.stringify(key)}]`);

function encode(value: unknown, path: string, tensors: Tensor[], offset: { bytes: number }, seen: object[]): unknown {
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0) ? value : { $num: Object.is(value, -0) ? '-0' : String(value) };
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value !== 'object') refuse(path, value === undefined ? 'undefined' : `a ${typeof value}`);
  const tag = tensorTag(value);
  if (tag !== undefined) {
    const tensor = value as Tensor;
    const ref = { [tag]: [offset.bytes, tensor.length] };
    tensors.push(tensor);
    offset.bytes += padded(tensor.byteLength);
    return ref;
  }
  if (seen.includes(value)) refuse(path, 'a reference back to an object that contains it');
  if (seen.length >= MAX_DEPTH) refuse(path, `nested more than ${MAX_DEPTH} levels deep`);
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) refuse(path, describe(value));
    seen.push(value);
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) refuse(`${path}[${i}]`, 'a hole in an array');
      out[i] = encode(value[i], `${path}[${i}]`, tensors, offset, seen);
    }
    seen.pop();
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) refuse(path, describe(value));
  if (Object.getOwnPropertySymbols(value).length > 0) refuse(path, 'an object with symbol keys');
  seen.push(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (RESERVED.includes(k)) refuse(`${path}${member(k)}`, 'a key the file format reserves');
    // An undefined property reads the same as a missing one, which is what JSON makes of it.
    if (v === undefined) continue;
    setKey(out, k, encode(v, `${path}${member(k)}`, tensors, offset, seen));
  }
  seen.pop();
  return out;
}

/** out[key] = value, also for "__proto__" (JSON.parse makes it an own key; assignment would set the prototype). */
function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

function corrupt(why: string): never {
  throw new RangeError(`corrupt checkpoint: ${why}`);
}

/** Walks the parsed header, checking every tensor reference; `make` builds each tensor. */
function decode(
  value: unknown, depth: number, area: { bytes: number; next: number }, make: (Type: TensorType, offset: number, length: number) => Tensor,
): unknown {
  if (depth > MAX_DEPTH) corrupt(`nested more than ${MAX_DEPTH} levels deep`);
  if (Array.isArray(value)) return value.map((v) => decode(v, depth + 1, area, make));
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  for (const [tag, Type] of TAGS) {
    if (!(tag in o)) continue;
    const ref = o[tag];
    if (!Array.isArray(ref) || ref.length !== 2 || !Number.isSafeInteger(ref[0]) || !Number.isSafeInteger(ref[1]) || ref[1] < 0)
      corrupt('a tensor reference is malformed');
    const [offset, length] = ref as [number, number];
    // Tensors lie back to back in the order they are named: no reference may point elsewhere,
    // so all of them together fit in the data there is.
    if (offset !== area.next) corrupt('a tensor is not where the one before it ends');
    area.next = offset + padded(length * Type.BYTES_PER_ELEMENT);
    return area.next > area.bytes ? null : make(Type, offset, length);
  }
  if ('$num' in o) {
    const n = { NaN, Infinity, '-Infinity': -Infinity, '-0': -0 }[String(o.$num)];
    if (n === undefined || typeof o.$num !== 'string') corrupt('a number is malformed');
    return n;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    setKey(out, k, decode(v, depth + 1, area, make));
  }
  return out;
}

/**
 * Serializes a state dict to bytes (versioned header, tensor table, CRC-32 checksum). Refuses,
 * with a TypeError naming the path, anything it could not give back as it was: Map, Set, class
 * instances, typed arrays other than Float32Array, Uint16Array and Uint8Array, functions, symbols, bigints, undefined in an
 * array, holes, cycles. A property whose value is undefined is left out (it reads the same).
 */
export function serializeState(stateDict: object): Uint8Array {
  if (stateDict === null || typeof stateDict !== 'object') throw new TypeError('stateDict must be an object');
  const tensors: Tensor[] = [];
  const offset = { bytes: 0 };
  const header = new TextEncoder().encode(JSON.stringify(encode(stateDict, 'stateDict', tensors, offset, [])));
  const areaStart = 16 + Math.ceil(header.length / 4) * 4;
  const out = new Uint8Array(areaStart + offset.bytes + 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, header.length, true);
  out.set(header, 16);
  let at = areaStart;
  for (const t of tensors) {
    if (LITTLE_ENDIAN || t instanceof Uint8Array) out.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), at);
    else if (t instanceof Float32Array) for (let i = 0; i < t.length; i++) view.setFloat32(at + 4 * i, t[i], true);
    else for (let i = 0; i < t.length; i++) view.setUint16(at + 2 * i, t[i], true);
    at += padded(t.byteLength);
  }
  view.setUint32(at, crc32(out.subarray(0, at)) >>> 0, true);
  return out;
}

/**
 * Reads bytes written by serializeState. Throws a RangeError saying "truncated" when the bytes
 * end early (a partly written or partly copied file), "corrupt" when they differ from what was
 * written, "not a fused-optim checkpoint" or "version" otherwise; a TypeError only when `bytes`
 * is not a Uint8Array. Never allocates more than the size of `bytes`.
 */
export function deserializeState<T = Record<string, unknown>>(bytes: Uint8Array): T {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  const size = bytes.length;
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== MAGIC) {
    if (size < 8 && MAGIC.startsWith(magic)) throw new RangeError(`truncated checkpoint: only ${size} bytes`);
    throw new RangeError('not a fused-optim checkpoint');
  }
  if (size < 20) throw new RangeError(`truncated checkpoint: only ${size} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) throw new RangeError(`checkpoint version ${version} is not supported (expected ${VERSION})`);
  const headerLength = view.getUint32(12, true);
  const areaStart = 16 + Math.ceil(headerLength / 4) * 4;
  const checksumOk = () => (crc32(bytes.subarray(0, size - 4)) >>> 0) === view.getUint32(size - 4, true);
  if (areaStart + 4 > size) {
    if (checksumOk()) corrupt('the header is longer than the file');
    throw new RangeError(`truncated checkpoint: ${size} bytes, its header alone needs ${areaStart + 4}`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, 16 + headerLength)));
  } catch {
    if (checksumOk()) corrupt('the header is not JSON');
    corrupt('checksum mismatch');
  }
  // The tensors the header names, measured without allocating any: the size the file must have.
  const measured = { bytes: Infinity, next: 0 };
  decode(header, 0, measured, (Type) => new Type(0));
  const expected = areaStart + measured.next + 4;
  if (!checksumOk()) {
    if (size < expected) throw new RangeError(`truncated checkpoint: ${size} bytes, its header describes ${expected}`);
    corrupt('checksum mismatch');
  }
  if (size !== expected) corrupt(`${size} bytes, its header describes ${expected}`);
  const area = { bytes: size - 4 - areaStart, next: 0 };
  return decode(header, 0, area, (Type, offset, length) => {
    const out = new Type(length);
    const at = areaStart + offset;
    if (LITTLE_ENDIAN || out instanceof Uint8Array) {
      new Uint8Array(out.buffer).set(bytes.subarray(at, at + out.byteLength));
      return out;
    }
    if (out instanceof Float32Array) for (let i = 0; i < length; i++) out[i] = view.getFloat32(at + 4 * i, true);
    else for (let i = 0; i < length; i++) out[i] = view.getUint16(at + 2 * i, true);
    return out;
  }) as T;
}
