// The stored forms of optimizer state, in C++: the int8 maps and their bucket tables, bfloat16
// and int8 encode/decode of a block. Bit for bit as src/backend/state-format.ts specifies; the
// stored step (lowmem.cpp) calls these once per block of a few thousand elements.
#include "state_codec.h"

namespace fused::FUSED_NS::state_codec {

// Decimal literals, as in the TS specification: no pow, whose rounding varies between libms.
const double kDecades[7] = {1, 0.1, 0.01, 0.001, 0.0001, 0.00001, 0.000001};

float treeValue(int e, int f, int fractionBits) {
  return float(kDecades[e] * (0.1 + 0.9 * (double(f + 1) / double(1 << fractionBits))));
}

// The largest float32 not above the exact midpoint of two (positive) map values.
float threshold(float a, float b) {
  const double mid = (double(a) + double(b)) / 2;
  const float t = float(mid);
  return double(t) > mid ? from_bits(bits_of(t) - 1) : t;
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
    map[kSignedNan] = from_bits(0x7fc00000u);
  } else {
    map[kUnsignedNan] = from_bits(0x7fc00000u);
  }
  int k = 0;
  for (uint32_t b = 0; b < kBucketCount; ++b) {
    const uint32_t hi = (kBucketBase + b) << 16;
    const float bottom = from_bits(hi), top = from_bits(hi | 0xffffu);
    while (k + 1 < count && threshold(map[order[k]], map[order[k + 1]]) < bottom) ++k;
    uint32_t entry = uint32_t(order[k]) | uint32_t(order[k]) << 8 | 0xffffu << 16;
    if (k + 1 < count) {
      const float t = threshold(map[order[k]], map[order[k + 1]]);
      if (t <= top) entry = uint32_t(order[k]) | uint32_t(order[k + 1]) << 8 | (bits_of(t) & 0xffffu) << 16;
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
  for (size_t i = 0; i < n; ++i) out[i] = from_bits(uint32_t(w[i]) << 16);
}

void encodeBf16(const float* x, size_t n, uint16_t* w) {
  for (size_t i = 0; i < n; ++i) w[i] = bf16_word(x[i]);
}

// ---- int8 -----------------------------------------------------------------------------------

uint8_t codeOf(uint32_t xb, float inv, const uint32_t* buckets, bool sgn) {
  const uint32_t nb = bits_of(from_bits(xb & 0x7fffffffu) * inv);
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
    const uint32_t b = bits_of(x[i]) & 0x7fffffffu;
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
  for (; i < n; ++i) codes[i] = codeOf(bits_of(x[i]), inv, buckets, sgn);
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
  for (; i < n; ++i) codes[i] = codeOf(bits_of(x[i]), inv, buckets, sgn);
}
#endif
#else
void decodeInt8(const uint8_t* c, size_t n, float absmax, const float* map, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = map[c[i]] * absmax;
}

uint32_t absmaxBits(const float* x, size_t n) {
  uint32_t m = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t b = bits_of(x[i]) & 0x7fffffffu;
    if (b < 0x7f800000u && b > m) m = b;  // non-negative floats order as their bits
  }
  return m;
}

void quantizeCodes(const float* x, size_t n, float inv, const uint32_t* buckets, bool sgn, uint8_t* codes) {
  for (size_t i = 0; i < n; ++i) codes[i] = codeOf(bits_of(x[i]), inv, buckets, sgn);
}
#endif

// Quantizes one block whose largest finite magnitude has the bits m; returns its absmax (0 when
// below the smallest normal float32).
float quantizeBlock(const float* x, size_t n, uint32_t m, const uint32_t* buckets, bool sgn, uint8_t* codes) {
  const float absmax = m < 0x00800000u ? 0.0f : from_bits(m);
  const float inv = absmax > 0 ? 1.0f / absmax : 0.0f;
  quantizeCodes(x, n, inv, buckets, sgn, codes);
  return absmax;
}

float encodeInt8(const float* x, size_t n, const uint32_t* buckets, bool sgn, uint8_t* codes) {
  return quantizeBlock(x, n, absmaxBits(x, n), buckets, sgn, codes);
}

}  // namespace fused::FUSED_NS::state_codec
