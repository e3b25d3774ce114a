// Optimizer state stored as bfloat16 words or block-wise int8 codes (stateDtype): one pass over
// memory, with 2 bytes (bf16) or 1 byte (int8) per moment instead of 4. The arithmetic and the
// parameter update are exactly the float32 ones (the update sees the new moments before they are
// quantized, as bitsandbytes does). The formats are specified, bit for bit, in
// src/backend/state-format.ts.
//
// Kinds whose kernel is written for every format (formats.h; kFused below): bfloat16 is widened
// and rounded in the kernel's own vector loop, no staging; int8 is decoded block by block into
// float32 scratch in L1, updated there by the kernel, which also tracks the block's new absmax,
// and quantized back in one pass. Other kinds run staged: each block of state decoded into
// scratch, updated by the kind's float32 kernel, its absmax found, encoded back. Same bits.
#include "formats.h"

namespace fused::FUSED_NS {

// The kinds written for every state format, by their float32 entry (the table's step[kind]).
#define FUSED_DECLARE_FORMATS(kind)                           \
  void kind(const double*, const Piece*, size_t);            \
  void kind##_bf16(const double*, const Bf16::Piece*, size_t); \
  void kind##_int8(const double*, const Int8::Piece*, size_t);
FUSED_DECLARE_FORMATS(adam)
FUSED_DECLARE_FORMATS(sgd)
FUSED_DECLARE_FORMATS(adagrad)
FUSED_DECLARE_FORMATS(rmsprop)
FUSED_DECLARE_FORMATS(adadelta)
FUSED_DECLARE_FORMATS(adamax)
FUSED_DECLARE_FORMATS(nadam)
FUSED_DECLARE_FORMATS(radam)
FUSED_DECLARE_FORMATS(lion)
#undef FUSED_DECLARE_FORMATS

namespace {

// Buckets of n = |x| / absmax by its top 16 bits, from n = 2^-24 (below: code 0) through n = 1.
constexpr uint32_t kBucketBase = 0x3380;
constexpr uint32_t kBucketCount = 0x3f80 - kBucketBase + 1;
constexpr uint8_t kSignedNan = 0x80, kUnsignedNan = 0x01;
// Elements decoded at a time with bfloat16 state (no blocks): three streams of it stay in L1.
constexpr size_t kBf16Chunk = 2048;

uint32_t bitsOf(float x) { return bits_of(x); }
float fromBits(uint32_t b) { return from_bits(b); }

struct Tables {
  float map[2][256];               // [0] signed, [1] unsigned: code -> value
  uint32_t buckets[2][kBucketCount];  // lowCode | highCode << 8 | threshold's low 16 bits << 16
};

// Decimal literals, as in the TS specification: no pow, whose rounding varies between libms.
const double kDecades[7] = {1, 0.1, 0.01, 0.001, 0.0001, 0.00001, 0.000001};

float treeValue(int e, int f, int fractionBits) {
  return float(kDecades[e] * (0.1 + 0.9 * (double(f + 1) / double(1 << fractionBits))));
}

// The largest float32 not above the exact midpoint of two (positive) map values.
float threshold(float a, float b) {
  const double mid = (double(a) + double(b)) / 2;
  const float t = float(mid);
  return double(t) > mid ? fromBits(bitsOf(t) - 1) : t;
}

void buildMap(bool sgn, float* map, uint32_t* buckets) {
  const int magnitudeBits = sgn ? 7 : 8;
  uint8_t order[256];  // magnitude codes in increasing value order (the map is monotone)
  int count = 0;
  map[0] = 0.0f;
  order[count++] = 0;
  for (int c = 1; c < (1 << magnitudeBits); ++c) {
    int top = 31;
    while (!(uint32_t(c) >> top & 1u)) --top;
    const int e = magnitudeBits - 1 - top;
    if (e > 6) continue;  // unsigned 0x01: the NaN code
    map[c] = treeValue(e, c - (1 << top), top);
    order[count++] = uint8_t(c);
  }
  if (sgn) {
    for (int c = 1; c < 128; ++c) map[0x80 | c] = -map[c];
    map[kSignedNan] = fromBits(0x7fc00000u);
  } else {
    map[kUnsignedNan] = fromBits(0x7fc00000u);
  }
  int k = 0;
  for (uint32_t b = 0; b < kBucketCount; ++b) {
    const uint32_t hi = (kBucketBase + b) << 16;
    const float bottom = fromBits(hi), top = fromBits(hi | 0xffffu);
    while (k + 1 < count && threshold(map[order[k]], map[order[k + 1]]) < bottom) ++k;
    uint32_t entry = uint32_t(order[k]) | uint32_t(order[k]) << 8 | 0xffffu << 16;
    if (k + 1 < count) {
      const float t = threshold(map[order[k]], map[order[k + 1]]);
      if (t <= top) entry = uint32_t(order[k]) | uint32_t(order[k + 1]) << 8 | (bitsOf(t) & 0xffffu) << 16;
    }
    buckets[b] = entry;
  }
}

const Tables& tables() {
  static const Tables t = [] {
    Tables out{};
    buildMap(true, out.map[0], out.buckets[0]);
    buildMap(false, out.map[1], out.buckets[1]);
    return out;
  }();
  return t;
}

// ---- bfloat16 -------------------------------------------------------------------------------

void decodeBf16(const uint16_t* w, size_t n, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = fromBits(uint32_t(w[i]) << 16);
}

void encodeBf16(const float* x, size_t n, uint16_t* w) {
  for (size_t i = 0; i < n; ++i) w[i] = bf16_word(x[i]);
}

// ---- int8 -----------------------------------------------------------------------------------

uint8_t codeOf(uint32_t xb, float inv, const uint32_t* buckets, bool sgn) {
  const uint32_t nb = bitsOf(fromBits(xb & 0x7fffffffu) * inv);
  if (nb >= 0x7f800000u) return sgn ? kSignedNan : kUnsignedNan;
  const uint32_t raw = (nb >> 16) - kBucketBase;  // wraps below the base: clamped to bucket 0
  const uint32_t b = int32_t(raw) < 0 ? 0 : raw >= kBucketCount ? kBucketCount - 1 : raw;
  const uint32_t entry = buckets[b];
  uint32_t code = (nb & 0xffffu) > entry >> 16 ? (entry >> 8) & 0xffu : entry & 0xffu;
  if (sgn && (xb >> 31) && code != 0) code |= 0x80u;
  return uint8_t(code);
}

#if defined(FUSED_ISA_AVX2) || defined(FUSED_ISA_AVX512)
#if defined(FUSED_ISA_AVX512)
void decodeInt8(const uint8_t* c, size_t n, float absmax, const float* map, float* out) {
  const __m512 scale = _mm512_set1_ps(absmax);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i idx = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c + i)));
    _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_i32gather_ps(idx, map, 4), scale));
  }
  for (; i < n; ++i) out[i] = map[c[i]] * absmax;
}
#else
void decodeInt8(const uint8_t* c, size_t n, float absmax, const float* map, float* out) {
  const __m256 scale = _mm256_set1_ps(absmax);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i idx = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(c + i)));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_i32gather_ps(map, idx, 4), scale));
  }
  for (; i < n; ++i) out[i] = map[c[i]] * absmax;
}
#endif

uint32_t absmaxBits(const float* x, size_t n) {
  const __m256i absMask = _mm256_set1_epi32(0x7fffffff), inf = _mm256_set1_epi32(0x7f800000);
  __m256i best = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i b = _mm256_and_si256(_mm256_castps_si256(_mm256_loadu_ps(x + i)), absMask);
    best = _mm256_max_epu32(best, _mm256_and_si256(b, _mm256_cmpgt_epi32(inf, b)));  // non-finite: 0
  }
  alignas(32) uint32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), best);
  uint32_t m = 0;
  for (uint32_t v : lanes) m = v > m ? v : m;
  for (; i < n; ++i) {
    const uint32_t b = bitsOf(x[i]) & 0x7fffffffu;
    if (b < 0x7f800000u && b > m) m = b;
  }
  return m;
}

#if defined(FUSED_ISA_AVX512)
// 16 codes per 512-bit gather (AVX512F only) and vpmovdb to pack them.
void quantizeCodes(const float* x, size_t n, float inv, const uint32_t* buckets, bool sgn, uint8_t* codes) {
  const __m512i absMask = _mm512_set1_epi32(0x7fffffff), base = _mm512_set1_epi32(int(kBucketBase));
  const __m512i last = _mm512_set1_epi32(int(kBucketCount - 1)), zero = _mm512_setzero_si512();
  const __m512i low16 = _mm512_set1_epi32(0xffff), byte = _mm512_set1_epi32(0xff);
  const __m512i finiteMax = _mm512_set1_epi32(0x7f7fffff);
  const __m512i nanCode = _mm512_set1_epi32(sgn ? kSignedNan : kUnsignedNan);
  const __m512i signBit = _mm512_set1_epi32(sgn ? 0x80 : 0);
  const __m512 vinv = _mm512_set1_ps(inv);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i xb = _mm512_castps_si512(_mm512_loadu_ps(x + i));
    const __m512i nb = _mm512_castps_si512(_mm512_mul_ps(_mm512_castsi512_ps(_mm512_and_si512(xb, absMask)), vinv));
    __m512i b = _mm512_sub_epi32(_mm512_srli_epi32(nb, 16), base);
    b = _mm512_min_epi32(_mm512_max_epi32(b, zero), last);
    const __m512i entry = _mm512_i32gather_epi32(b, buckets, 4);
    const __mmask16 upper = _mm512_cmpgt_epi32_mask(_mm512_and_si512(nb, low16), _mm512_srli_epi32(entry, 16));
    __m512i code = _mm512_mask_blend_epi32(upper, _mm512_and_si512(entry, byte),
                                           _mm512_and_si512(_mm512_srli_epi32(entry, 8), byte));
    // x < 0 (sign bit) and a nonzero magnitude: set the sign bit of the code
    const __mmask16 negative = _mm512_cmplt_epi32_mask(xb, zero) & _mm512_test_epi32_mask(code, code);
    code = _mm512_mask_or_epi32(code, negative, code, signBit);
    // n not finite (by its magnitude: Infinity · 0 gives x86's default NaN, whose sign bit is set)
    code = _mm512_mask_mov_epi32(code, _mm512_cmpgt_epi32_mask(_mm512_and_si512(nb, absMask), finiteMax), nanCode);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + i), _mm512_cvtepi32_epi8(code));
  }
  for (; i < n; ++i) codes[i] = codeOf(bitsOf(x[i]), inv, buckets, sgn);
}
#else
void quantizeCodes(const float* x, size_t n, float inv, const uint32_t* buckets, bool sgn, uint8_t* codes) {
  const __m256i absMask = _mm256_set1_epi32(0x7fffffff), base = _mm256_set1_epi32(int(kBucketBase));
  const __m256i last = _mm256_set1_epi32(int(kBucketCount - 1)), zero = _mm256_setzero_si256();
  const __m256i low16 = _mm256_set1_epi32(0xffff), byte = _mm256_set1_epi32(0xff);
  const __m256i finiteMax = _mm256_set1_epi32(0x7f7fffff);
  const __m256i nanCode = _mm256_set1_epi32(sgn ? kSignedNan : kUnsignedNan);
  const __m256i signBit = _mm256_set1_epi32(sgn ? 0x80 : 0);
  const __m256 vinv = _mm256_set1_ps(inv);
  const int* table = reinterpret_cast<const int*>(buckets);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i xb = _mm256_castps_si256(_mm256_loadu_ps(x + i));
    const __m256i nb = _mm256_castps_si256(_mm256_mul_ps(_mm256_castsi256_ps(_mm256_and_si256(xb, absMask)), vinv));
    __m256i b = _mm256_sub_epi32(_mm256_srli_epi32(nb, 16), base);
    b = _mm256_min_epi32(_mm256_max_epi32(b, zero), last);
    const __m256i entry = _mm256_i32gather_epi32(table, b, 4);
    const __m256i upper = _mm256_cmpgt_epi32(_mm256_and_si256(nb, low16), _mm256_srli_epi32(entry, 16));
    __m256i code = _mm256_blendv_epi8(_mm256_and_si256(entry, byte),
                                      _mm256_and_si256(_mm256_srli_epi32(entry, 8), byte), upper);
    // x < 0 (sign bit) and a nonzero magnitude: set the sign bit of the code
    const __m256i negative = _mm256_andnot_si256(_mm256_cmpeq_epi32(code, zero), _mm256_srai_epi32(xb, 31));
    code = _mm256_or_si256(code, _mm256_and_si256(negative, signBit));
    // n not finite (by its magnitude: Infinity · 0 gives x86's default NaN, whose sign bit is set)
    code = _mm256_blendv_epi8(code, nanCode, _mm256_cmpgt_epi32(_mm256_and_si256(nb, absMask), finiteMax));
    const __m256i words = _mm256_packus_epi32(code, code);  // per 128-bit lane: c0..c3 c0..c3 | c4..c7 c4..c7
    const __m256i bytes = _mm256_packus_epi16(words, words);
    const uint32_t lo = uint32_t(_mm_cvtsi128_si32(_mm256_castsi256_si128(bytes)));
    const uint32_t hi = uint32_t(_mm_cvtsi128_si32(_mm256_extracti128_si256(bytes, 1)));
    const uint64_t packed = uint64_t(lo) | uint64_t(hi) << 32;
    std::memcpy(codes + i, &packed, 8);
  }
  for (; i < n; ++i) codes[i] = codeOf(bitsOf(x[i]), inv, buckets, sgn);
}
#endif
#else
void decodeInt8(const uint8_t* c, size_t n, float absmax, const float* map, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = map[c[i]] * absmax;
}

uint32_t absmaxBits(const float* x, size_t n) {
  uint32_t m = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t b = bitsOf(x[i]) & 0x7fffffffu;
    if (b < 0x7f800000u && b > m) m = b;  // non-negative floats order as their bits
  }
  return m;
}

void quantizeCodes(const float* x, size_t n, float inv, const uint32_t* buckets, bool sgn, uint8_t* codes) {
  for (size_t i = 0; i < n; ++i) codes[i] = codeOf(bitsOf(x[i]), inv, buckets, sgn);
}
#endif

// Quantizes one block whose largest finite magnitude has the bits m; returns its absmax (0 when
// below the smallest normal float32).
float quantizeBlock(const float* x, size_t n, uint32_t m, const uint32_t* buckets, bool sgn, uint8_t* codes) {
  const float absmax = m < 0x00800000u ? 0.0f : fromBits(m);
  const float inv = absmax > 0 ? 1.0f / absmax : 0.0f;
  quantizeCodes(x, n, inv, buckets, sgn, codes);
  return absmax;
}

float encodeInt8(const float* x, size_t n, const uint32_t* buckets, bool sgn, uint8_t* codes) {
  return quantizeBlock(x, n, absmaxBits(x, n), buckets, sgn, codes);
}

struct Formats {
  StepKernel f32;
  void (*bf16)(const double*, const Bf16::Piece*, size_t);
  void (*int8)(const double*, const Int8::Piece*, size_t);
};
#define FUSED_FORMATS_ENTRY(kind) {kind, kind##_bf16, kind##_int8}
const Formats kFused[] = {FUSED_FORMATS_ENTRY(adam), FUSED_FORMATS_ENTRY(sgd), FUSED_FORMATS_ENTRY(adagrad), FUSED_FORMATS_ENTRY(rmsprop), FUSED_FORMATS_ENTRY(adadelta), FUSED_FORMATS_ENTRY(adamax), FUSED_FORMATS_ENTRY(nadam), FUSED_FORMATS_ENTRY(radam), FUSED_FORMATS_ENTRY(lion)};
#undef FUSED_FORMATS_ENTRY

const Formats* fusedFormats(StepKernel kernel) {
  for (const Formats& f : kFused)
    if (f.f32 == kernel) return &f;
  return nullptr;
}

#if defined(FUSED_ISA_WASM)
alignas(64) float scratch[kMaxStreams][kMaxBlock];  // one thread
#else
alignas(64) thread_local float scratch[kMaxStreams][kMaxBlock];
#endif

// bfloat16 in the kernel's own loop, the pieces in batches (to convert them on the stack).
void bf16Step(const Formats& f, const double* scalars, const StoredPiece* pieces, size_t count) {
  constexpr size_t kBatch = 64;
  Bf16::Piece batch[kBatch];
  for (size_t at = 0; at < count; at += kBatch) {
    const size_t m = count - at < kBatch ? count - at : kBatch;
    for (size_t p = 0; p < m; ++p) {
      for (size_t k = 0; k < kMaxStreams; ++k) batch[p].streams[k] = pieces[at + p].streams[k];
      batch[p].n = pieces[at + p].n;
    }
    f.bf16(scalars, batch, m);
  }
}

// int8 block by block: a gather pass decodes each state stream into scratch, the kernel's loop
// updates it there and tracks its new absmax, then one pass per stream quantizes the scratch.
void int8Step(const Formats& f, const StoredLayout& layout, const double* scalars, const StoredPiece* pieces,
              size_t count) {
  const Tables& t = tables();
  for (size_t p = 0; p < count; ++p) {
    const StoredPiece& piece = pieces[p];
    for (size_t at = 0, block = 0; at < piece.n; at += layout.blockSize, ++block) {
      const size_t n = piece.n - at < layout.blockSize ? piece.n - at : layout.blockSize;
      uint32_t magnitude[kMaxStreams] = {};
      Int8::Piece one{};
      one.streams[0].data = static_cast<float*>(piece.streams[0]) + at;
      one.streams[1].data = static_cast<float*>(piece.streams[1]) + at;
      one.n = n;
      for (size_t k = 2; k < kMaxStreams; ++k) {
        if (piece.streams[k] == nullptr) continue;
        decodeInt8(static_cast<const uint8_t*>(piece.streams[k]) + at, n, piece.absmax[k][block],
                   t.map[(layout.unsignedMask >> k) & 1u], scratch[k]);
        one.streams[k] = Int8Stream{scratch[k], &magnitude[k]};
      }
      f.int8(scalars, &one, 1);
      for (size_t k = 2; k < kMaxStreams; ++k) {
        if (piece.streams[k] == nullptr) continue;
        const bool uns = (layout.unsignedMask >> k) & 1u;
        piece.absmax[k][block] = quantizeBlock(scratch[k], n, magnitude[k], t.buckets[uns ? 1 : 0], !uns,
                                               static_cast<uint8_t*>(piece.streams[k]) + at);
      }
    }
  }
}

// Kinds without a kernel per format: each block of state decoded into scratch, updated by the
// float32 kernel, encoded back.
void stagedStep(StepKernel kernel, const StoredLayout& layout, const double* scalars, const StoredPiece* pieces,
                size_t count) {
  const Tables& t = tables();
  const bool int8 = layout.format == StateFormat::int8;
  const size_t chunk = int8 ? layout.blockSize : kBf16Chunk;
  for (size_t p = 0; p < count; ++p) {
    const StoredPiece& piece = pieces[p];
    for (size_t at = 0, block = 0; at < piece.n; at += chunk, ++block) {
      const size_t n = piece.n - at < chunk ? piece.n - at : chunk;
      Piece flat{};
      flat.streams[0] = static_cast<float*>(piece.streams[0]) + at;
      flat.streams[1] = static_cast<float*>(piece.streams[1]) + at;
      flat.n = n;
      for (size_t k = 2; k < kMaxStreams; ++k) {
        if (piece.streams[k] == nullptr) continue;
        if (int8) {
          const float* map = t.map[(layout.unsignedMask >> k) & 1u];
          decodeInt8(static_cast<const uint8_t*>(piece.streams[k]) + at, n, piece.absmax[k][block], map, scratch[k]);
        } else {
          decodeBf16(static_cast<const uint16_t*>(piece.streams[k]) + at, n, scratch[k]);
        }
        flat.streams[k] = scratch[k];
      }
      kernel(scalars, &flat, 1);
      for (size_t k = 2; k < kMaxStreams; ++k) {
        if (piece.streams[k] == nullptr) continue;
        if (int8) {
          const bool uns = (layout.unsignedMask >> k) & 1u;
          piece.absmax[k][block] =
              encodeInt8(scratch[k], n, t.buckets[uns ? 1 : 0], !uns, static_cast<uint8_t*>(piece.streams[k]) + at);
        } else {
          encodeBf16(scratch[k], n, static_cast<uint16_t*>(piece.streams[k]) + at);
        }
      }
    }
  }
}

}  // namespace

void storedStep(StepKernel kernel, const StoredLayout& layout, const double* scalars, const StoredPiece* pieces,
                size_t count) {
  const Formats* f = fusedFormats(kernel);
  if (f == nullptr) stagedStep(kernel, layout, scalars, pieces, count);
  else if (layout.format == StateFormat::int8) int8Step(*f, layout, scalars, pieces, count);
  else bf16Step(*f, scalars, pieces, count);
}

}  // namespace fused::FUSED_NS
