// The stored forms of optimizer state (stateDtype), written once as the readable specification:
// native/kernels/lowmem.cpp and the wasm build reproduce these bits exactly.
//
// bfloat16: the top 16 bits of the float32, rounded to nearest, ties to even; NaN stays a quiet
// NaN of the same sign, ±Infinity stays ±Infinity, finite values too large round to ±Infinity.
//
// int8 (block-wise dynamic quantization, Dettmers et al. 2021, arXiv 2110.02861): a tensor's
// state is cut into blocks of `blockSize` elements starting at its first element; each block
// stores one float32 scale, its largest finite magnitude (absmax), and one byte per element: the
// code whose map value is nearest |x| / absmax (ties: the code of smaller magnitude). The maps
// are dynamic-tree maps: after an optional sign bit, the number of leading zero bits E is a
// decimal exponent, the first one bit an indicator, and the remaining F bits a linear fraction:
//   value = 10^-E · (0.1 + 0.9 · (f + 1) / 2^F),   E = 0..6
// so each decade (10^-E-1, 10^-E] has 2^F evenly spaced values, its top one exactly 10^-E; the
// largest code is exactly 1 (the block's absmax itself is stored exactly).
//   signed (first moments, momentum): sign bit + 7-bit magnitude; 0x00 = 0; 0x80 (the would-be
//     "-0") = NaN.
//   unsigned (second moments, sums of squares): 8-bit magnitude, one more fraction bit per
//     decade; 0x00 = 0; 0x01 (the would-be E = 7 code) = NaN.
// Non-finite values (NaN, ±Infinity) are stored as the NaN code and left out of the absmax: a NaN
// gradient damages only its own element's state, as with float32 state. A block whose absmax is
// below the smallest normal float32 (1.2e-38) stores all its finite values as 0.

export type StateDtype = 'float32' | 'bfloat16' | 'int8';
export const STATE_DTYPES: readonly StateDtype[] = ['float32', 'bfloat16', 'int8'];
/** Block sizes the kernels accept: powers of two dividing the thread pool's part (32K elements). */
export const BLOCK_SIZES: readonly number[] = [256, 512, 1024, 2048, 4096];
/** The default block size, chosen by measurement (bench/README.md). */
export const DEFAULT_BLOCK_SIZE = 2048;
/** Tensors smaller than this keep float32 state under stateDtype 'int8' (as bitsandbytes' min_8bit_size). */
export const DEFAULT_MIN_8BIT_SIZE = 4096;
/** The NaN codes of the two maps. */
export const SIGNED_NAN = 0x80;
export const UNSIGNED_NAN = 0x01;

/** State streams that are never negative: they use the unsigned map (native/kernels/kinds.h: FUSED_UNSIGNED_STATE). */
export const UNSIGNED_STATE: ReadonlySet<string> = new Set(['expAvgSq', 'maxExpAvgSq', 'sum', 'squareAvg', 'expInf', 'accDelta', 'v', 'u', 'accumulator', 'ms', 'accumGrad', 'accumUpdate']);

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOf = (x: number): number => ((f32[0] = x), u32[0]);
const fromBits = (b: number): number => ((u32[0] = b), f32[0]);

// Decimal literals, correctly rounded to double by both compilers (no pow, whose rounding varies).
const DECADES = [1, 0.1, 0.01, 0.001, 0.0001, 0.00001, 0.000001];

/** 10^-E · (0.1 + 0.9 · (f + 1) / 2^F), computed in double in this order, then rounded to float32. */
function treeValue(e: number, f: number, fractionBits: number): number {
  return Math.fround(DECADES[e] * (0.1 + 0.9 * ((f + 1) / 2 ** fractionBits)));
}

/** The 256 float32 values of a map, indexed by code. */
function buildMap(signed: boolean): Float32Array {
  const map = new Float32Array(256);
  const magnitudeBits = signed ? 7 : 8;
  for (let c = 1; c < 1 << magnitudeBits; c++) {
    const top = 31 - Math.clz32(c); // position of the indicator bit
    const fractionBits = top;
    const e = magnitudeBits - 1 - top;
    if (e > 6) continue; // unsigned 0x01: the NaN code
    map[c] = treeValue(e, c - (1 << top), fractionBits);
  }
  if (signed) {
    for (let c = 1; c < 128; c++) map[0x80 | c] = -map[c];
    map[SIGNED_NAN] = NaN;
  } else map[UNSIGNED_NAN] = NaN;
  return map;
}

/** Code → value of the signed map (first moments) and of the unsigned map (second moments). */
export const SIGNED_MAP = buildMap(true);
export const UNSIGNED_MAP = buildMap(false);

// Quantizing n = |x| / absmax ∈ [0, 1]: the magnitude codes in increasing value order, and the
// thresholds between neighbours: the largest float32 not above the exact midpoint, so that
// "n > threshold" is "n is nearer the upper code" with ties going to the lower one.
// Lookup: the top 16 bits of n (its bfloat16 truncation) pick a bucket; every bucket holds at
// most one threshold (checked below), so one table entry per bucket gives the answer:
//   entry = lowCode | highCode << 8 | (threshold's low 16 bits, or 0xffff if none) << 16
//   code  = (n's low 16 bits) > entry >>> 16 ? highCode : lowCode
/** The first bucket (n = 2^-24: below it everything rounds to 0) and the bucket count (through n = 1). */
export const BUCKET_BASE = bitsOf(2 ** -24) >>> 16;
export const BUCKET_COUNT = (bitsOf(1) >>> 16) - BUCKET_BASE + 1;

function buildBuckets(map: Float32Array, signed: boolean): Uint32Array {
  const codes: number[] = [];
  for (let c = 0; c < (signed ? 128 : 256); c++) if (!Number.isNaN(map[c])) codes.push(c);
  codes.sort((a, b) => map[a] - map[b]);
  const table = new Uint32Array(BUCKET_COUNT);
  let k = 0; // codes[k] is the nearest code at the bottom of the current bucket
  for (let b = 0; b < BUCKET_COUNT; b++) {
    const hiBits = ((BUCKET_BASE + b) << 16) >>> 0;
    const bottom = fromBits(hiBits), top = fromBits(hiBits | 0xffff);
    while (k + 1 < codes.length && threshold(map, codes[k], codes[k + 1]) < bottom) k++;
    let entry = codes[k] | (codes[k] << 8) | (0xffff << 16);
    if (k + 1 < codes.length) {
      const t = threshold(map, codes[k], codes[k + 1]);
      if (t <= top) {
        if (k + 2 < codes.length && threshold(map, codes[k + 1], codes[k + 2]) <= top)
          throw new Error(`state-format: bucket ${b} holds two thresholds`);
        entry = codes[k] | (codes[k + 1] << 8) | ((bitsOf(t) & 0xffff) << 16);
      }
    }
    table[b] = entry >>> 0;
  }
  return table;
}

/** The largest float32 not above the exact midpoint of two map values. */
function threshold(map: Float32Array, lo: number, hi: number): number {
  const mid = (map[lo] + map[hi]) / 2; // exact in double: both are float32
  const t = Math.fround(mid);
  return t > mid ? fromBits(bitsOf(t) - 1) : t;
}

export const SIGNED_BUCKETS = buildBuckets(SIGNED_MAP, true);
export const UNSIGNED_BUCKETS = buildBuckets(UNSIGNED_MAP, false);

/** The nearest code of the magnitude n = |x| · (1 / absmax) (n's float32 bits). */
export function magnitudeCode(nBits: number, buckets: Uint32Array): number {
  const b = Math.min(Math.max((nBits >>> 16) - BUCKET_BASE, 0), BUCKET_COUNT - 1);
  const entry = buckets[b];
  return (nBits & 0xffff) > entry >>> 16 ? (entry >>> 8) & 0xff : entry & 0xff;
}

/** The block's scale: its largest finite magnitude, or 0 when that is below the smallest normal float32. */
export function blockAbsmax(x: Float32Array, from: number, to: number): number {
  let best = 0;
  for (let i = from; i < to; i++) {
    const b = bitsOf(x[i]) & 0x7fffffff;
    if (b < 0x7f800000 && b > best) best = b; // non-negative floats order as their bits
  }
  return best < 0x00800000 ? 0 : fromBits(best);
}

/** Quantizes x[from, to) as one block into codes[from, to); returns the block's absmax. */
export function quantizeBlock(x: Float32Array, from: number, to: number, signed: boolean, codes: Uint8Array): number {
  const absmax = blockAbsmax(x, from, to);
  const inv = absmax > 0 ? Math.fround(1 / absmax) : 0;
  const buckets = signed ? SIGNED_BUCKETS : UNSIGNED_BUCKETS;
  const nan = signed ? SIGNED_NAN : UNSIGNED_NAN;
  for (let i = from; i < to; i++) {
    const xb = bitsOf(x[i]);
    const nBits = bitsOf(Math.fround(fromBits(xb & 0x7fffffff) * inv));
    let code = nBits >= 0x7f800000 ? nan : magnitudeCode(nBits, buckets);
    if (signed && xb >>> 31 && code !== 0) code |= 0x80;
    codes[i] = code;
  }
  return absmax;
}

/** Dequantizes codes[from, to) with the block's absmax into out[from, to). */
export function dequantizeBlock(codes: Uint8Array, from: number, to: number, absmax: number, signed: boolean, out: Float32Array): void {
  const map = signed ? SIGNED_MAP : UNSIGNED_MAP;
  const scale = Math.fround(absmax);
  for (let i = from; i < to; i++) out[i] = Math.fround(map[codes[i]] * scale);
}

/** float32 → bfloat16 bits, round to nearest even (NaN stays a quiet NaN). */
export function bf16Bits(x: number): number {
  const b = bitsOf(x);
  if ((b & 0x7fffffff) > 0x7f800000) return (b >>> 16) | 0x40;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** bfloat16 bits → float32 (exact). */
export const bf16Value = (w: number): number => fromBits((w << 16) >>> 0);

export function encodeBf16(x: Float32Array, out: Uint16Array, from = 0, to = x.length): void {
  for (let i = from; i < to; i++) out[i] = bf16Bits(x[i]);
}

export function decodeBf16(words: Uint16Array, out: Float32Array, from = 0, to = words.length): void {
  for (let i = from; i < to; i++) out[i] = bf16Value(words[i]);
}

/** Number of blocks of a tensor of n elements. */
export const blockCount = (n: number, blockSize: number): number => Math.ceil(n / blockSize);

/** An int8 tensor: codes, one absmax per block. */
export interface Int8Tensor {
  codes: Uint8Array;
  absmax: Float32Array;
}

/** Quantizes a whole tensor block by block. */
export function quantize(x: Float32Array, signed: boolean, blockSize: number): Int8Tensor {
  const codes = new Uint8Array(x.length);
  const absmax = new Float32Array(blockCount(x.length, blockSize));
  for (let b = 0; b < absmax.length; b++)
    absmax[b] = quantizeBlock(x, b * blockSize, Math.min(x.length, (b + 1) * blockSize), signed, codes);
  return { codes, absmax };
}

export function dequantize(t: Int8Tensor, signed: boolean, blockSize: number): Float32Array {
  const out = new Float32Array(t.codes.length);
  for (let b = 0; b < t.absmax.length; b++)
    dequantizeBlock(t.codes, b * blockSize, Math.min(out.length, (b + 1) * blockSize), t.absmax[b], signed, out);
  return out;
}
