// Stream access by state format (stateDtype, specified in src/backend/state-format.ts), so that
// one kernel formula runs on float32, bfloat16 or int8 state without staging the state in L1:
// a kernel written against an accessor `a` (a.load(k, i), a.store(k, i, v)) is instantiated per
// format. Streams 0 and 1 (param, grad) are float32 arrays in every format; the state streams
// (k >= 2) are
//   F32:  float32 arrays;
//   Bf16: bfloat16 words, widened in the vector loop and rounded to nearest even on store;
//   Int8: one block of int8 state, decoded into float32 scratch in L1 by lowmem.cpp; the loop
//         updates it in place and accumulates the block's new absmax on the way, and lowmem.cpp
//         quantizes the scratch afterwards (the scale must be known before any code).
// The arithmetic is the same float32 arithmetic in every format, so the bits equal the staged
// form's (decode everything, run the float32 kernel, encode everything).
#pragma once
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

inline uint32_t bits_of(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  return b;
}
inline float from_bits(uint32_t b) {
  float x;
  std::memcpy(&x, &b, 4);
  return x;
}

// Round to nearest even; NaN stays a quiet NaN (the rounding add could carry it into Infinity).
inline uint16_t bf16_word(float x) {
  const uint32_t b = bits_of(x);
  const uint32_t rounded = (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
  return uint16_t((b & 0x7fffffffu) > 0x7f800000u ? (b >> 16) | 0x40u : rounded);
}

// The bits of |x| if x is finite, else 0: non-negative floats order as their bits, so the
// block's absmax is the integer max of these.
inline uint32_t finite_magnitude(float x) {
  const uint32_t b = bits_of(x) & 0x7fffffffu;
  return b < 0x7f800000u ? b : 0u;
}

// W floats from W bfloat16 words, and back.
inline Vec::T load_bf16(const uint16_t* w) {
#if defined(FUSED_ISA_AVX512)
  const __m256i words = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(words), 16));
#elif defined(FUSED_ISA_AVX2)
  const __m128i words = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(words), 16));
#elif defined(FUSED_ISA_SSE2)
  const __m128i words = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(w));
  return _mm_castsi128_ps(_mm_unpacklo_epi16(_mm_setzero_si128(), words));
#else
  alignas(64) float t[Vec::width];
  for (size_t j = 0; j < Vec::width; ++j) t[j] = from_bits(uint32_t(w[j]) << 16);
  return Vec::load(t);
#endif
}

inline void store_bf16(uint16_t* w, Vec::T v) {
#if defined(FUSED_ISA_AVX512BF16)
  // vcvtneps2bf16 rounds to nearest even and quiets NaN exactly as bf16_word does, but flushes
  // subnormal inputs to zero: a vector holding one (exponent 0, fraction not) takes the integer
  // rounding. Tested on the bits, not with vfpclassps, whose answer depends on MXCSR.DAZ.
  const __m512i bits = _mm512_castps_si512(v);
  const __mmask16 zeroExponent = _mm512_testn_epi32_mask(bits, _mm512_set1_epi32(0x7f800000));
  if (_mm512_mask_test_epi32_mask(zeroExponent, bits, _mm512_set1_epi32(0x007fffff)) == 0) {
    const __m256bh words = _mm512_cvtneps_pbh(v);
    std::memcpy(w, &words, sizeof words);  // one unaligned store; no cast between compilers' bh types
    return;
  }
#endif
#if defined(FUSED_ISA_AVX512)
  const __m512i b = _mm512_castps_si512(v), high = _mm512_srli_epi32(b, 16);
  const __m512i odd = _mm512_and_si512(high, _mm512_set1_epi32(1));
  __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(b, _mm512_set1_epi32(0x7fff)), odd), 16);
  r = _mm512_mask_or_epi32(r, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), high, _mm512_set1_epi32(0x40));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(w), _mm512_cvtepi32_epi16(r));
#elif defined(FUSED_ISA_AVX2)
  const __m256i b = _mm256_castps_si256(v);
  const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
  __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(b, _mm256_set1_epi32(0x7fff)), odd), 16);
  const __m256i nan =
      _mm256_cmpgt_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x7fffffff)), _mm256_set1_epi32(0x7f800000));
  r = _mm256_blendv_epi8(r, _mm256_or_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(0x40)), nan);
  // per 128-bit lane: w0..w3 w0..w3 | w4..w7 w4..w7; then the two low quarters together
  const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0b1000);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(w), _mm256_castsi256_si128(packed));
#else
  alignas(64) float t[Vec::width];
  Vec::store(t, v);
  for (size_t j = 0; j < Vec::width; ++j) w[j] = bf16_word(t[j]);
#endif
}

// ---- the formats -------------------------------------------------------------------------------

// A tensor's slice in a call (as Piece in kernels.h), its streams in some format.
template <class Stream>
struct StreamPiece {
  Stream streams[kMaxStreams];
  size_t n;
};

struct F32 {
  using Stream = float*;
  using Piece = fused::Piece;
  static float* floats(Stream s) { return s; }
  static constexpr size_t bytes = 4;
  struct Acc {};
  static Vec::T load(Stream s, size_t i) { return Vec::load(s + i); }
  static void store(Stream s, size_t i, Vec::T v, Acc&) { Vec::store(s + i, v); }
  static const void* address(Stream s, size_t i) { return s + i; }
  static bool present(Stream s) { return s != nullptr; }
  static void stage_in(Stream s, size_t i, size_t n, float* out) { std::memcpy(out, s + i, n * 4); }
  static void stage_out(Stream s, size_t i, size_t n, const float* in) { std::memcpy(s + i, in, n * 4); }
  static void finish(Stream, const Acc&) {}
};

// Param and grad are float32, state streams bfloat16 words, all behind void*.
struct Bf16 {
  using Stream = void*;
  using Piece = StreamPiece<void*>;
  static float* floats(Stream s) { return static_cast<float*>(s); }
  static uint16_t* words(Stream s) { return static_cast<uint16_t*>(s); }
  static constexpr size_t bytes = 2;
  struct Acc {};
  static Vec::T load(Stream s, size_t i) { return load_bf16(words(s) + i); }
  static void store(Stream s, size_t i, Vec::T v, Acc&) { store_bf16(words(s) + i, v); }
  static const void* address(Stream s, size_t i) { return words(s) + i; }
  static bool present(Stream s) { return s != nullptr; }
  static void stage_in(Stream s, size_t i, size_t n, float* out) {
    for (size_t j = 0; j < n; ++j) out[j] = from_bits(uint32_t(words(s)[i + j]) << 16);
  }
  static void stage_out(Stream s, size_t i, size_t n, const float* in) {
    for (size_t j = 0; j < n; ++j) words(s)[i + j] = bf16_word(in[j]);
  }
  static void finish(Stream, const Acc&) {}
};

// One block of a tensor with int8 state, decoded by lowmem.cpp into float32 scratch (a separate
// gather pass measured faster than gathers inside the kernel's divide-bound loop:
// bench/README.md). The kernel updates the scratch in place and accumulates the block's new
// absmax on the way, so that the quantize pass needs no absmax pass before it.
struct Int8Stream {
  float* data;          // param, grad: the tensor's; state: the block's decoded scratch
  uint32_t* magnitude;  // state: in/out, the largest finite_magnitude stored so far
};

struct Int8 {
  using Stream = Int8Stream;
  using Piece = StreamPiece<Int8Stream>;
  static float* floats(const Stream& s) { return s.data; }
  static constexpr size_t bytes = 4;
#if defined(FUSED_ISA_AVX512)
  struct Acc {
    __m512i m = _mm512_setzero_si512();
  };
  static void track(Acc& acc, Vec::T v) {
    const __m512i b = _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(0x7fffffff));
    acc.m = _mm512_mask_max_epu32(acc.m, _mm512_cmplt_epu32_mask(b, _mm512_set1_epi32(0x7f800000)), acc.m, b);
  }
  static uint32_t reduce(const Acc& acc) { return _mm512_reduce_max_epu32(acc.m); }
#elif defined(FUSED_ISA_AVX2)
  struct Acc {
    __m256i m = _mm256_setzero_si256();
  };
  static void track(Acc& acc, Vec::T v) {
    const __m256i b = _mm256_and_si256(_mm256_castps_si256(v), _mm256_set1_epi32(0x7fffffff));
    acc.m = _mm256_max_epu32(acc.m, _mm256_and_si256(b, _mm256_cmpgt_epi32(_mm256_set1_epi32(0x7f800000), b)));
  }
  static uint32_t reduce(const Acc& acc) {
    alignas(32) uint32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc.m);
    uint32_t m = 0;
    for (uint32_t v : lanes) m = v > m ? v : m;
    return m;
  }
#else
  struct Acc {
    uint32_t m = 0;
  };
  static void track(Acc& acc, Vec::T v) {
    alignas(64) float t[Vec::width];
    Vec::store(t, v);
    for (size_t j = 0; j < Vec::width; ++j) {
      const uint32_t b = finite_magnitude(t[j]);
      acc.m = b > acc.m ? b : acc.m;
    }
  }
  static uint32_t reduce(const Acc& acc) { return acc.m; }
#endif
  static Vec::T load(const Stream& s, size_t i) { return Vec::load(s.data + i); }
  static void store(const Stream& s, size_t i, Vec::T v, Acc& acc) {
    Vec::store(s.data + i, v);
    track(acc, v);
  }
  static const void* address(const Stream& s, size_t i) { return s.data + i; }
  static bool present(const Stream& s) { return s.data != nullptr; }
  static void stage_in(const Stream& s, size_t i, size_t n, float* out) { std::memcpy(out, s.data + i, n * 4); }
  static void stage_out(const Stream& s, size_t i, size_t n, const float* in) {
    std::memcpy(s.data + i, in, n * 4);
    for (size_t j = 0; j < n; ++j) {
      const uint32_t b = finite_magnitude(in[j]);
      if (b > *s.magnitude) *s.magnitude = b;
    }
  }
  static void finish(const Stream& s, const Acc& acc) {
    const uint32_t m = reduce(acc);
    if (m > *s.magnitude) *s.magnitude = m;
  }
};

// A kernel's view of its K streams at one vector: element i of stream k as float32 lanes. k is
// a constant in every kernel, so the format branch folds away once inlined.
template <class S, size_t K>
struct Access {
  const typename S::Stream (&s)[K];
  typename S::Acc acc[K];
  Vec::T load(size_t k, size_t i) const { return k < 2 ? Vec::load(S::floats(s[k]) + i) : S::load(s[k], i); }
  void store(size_t k, size_t i, Vec::T v) {
    if (k < 2) Vec::store(S::floats(s[k]) + i, v);
    else S::store(s[k], i, v, acc[k]);
  }
};

// Where the next piece starts in each stream, for prefetching (see Ahead in kernels.h).
template <class S>
struct AheadOf {
  typename S::Stream streams[kMaxStreams];
  size_t n;
};

// for_each_vector (simd.h) in format S: body(a, i) with an Access; the tail runs the same body on
// a float32 Access over zero-padded staged copies (decoded state), stored back encoded.
template <class S, size_t K, class Body>
inline void for_each_vector_as(const typename S::Stream (&ptrs)[K], uint32_t written, size_t n,
                               const AheadOf<S>* ahead, Body&& body) {
  constexpr size_t W = Vec::width;
  constexpr size_t kLine = 64 / sizeof(float);
  size_t i = 0;
  Access<S, K> a{ptrs, {}};
#if defined(FUSED_ISA_WASM)
  ahead = nullptr;
#endif
  if (ahead != nullptr && ahead->n > 0) {
    for (; i + W <= n; i += W) {
      if (i % kLine == 0 && i < ahead->n)
        for (size_t k = 0; k < kMaxStreams; ++k)
          if (S::present(ahead->streams[k]))
            prefetch_line(k < 2 ? static_cast<const void*>(S::floats(ahead->streams[k]) + i)
                                : S::address(ahead->streams[k], i));
      body(a, i);
    }
  } else {
    for (; i + W <= n; i += W) body(a, i);
  }
  for (size_t k = 2; k < K; ++k)
    if (written & (1u << k)) S::finish(ptrs[k], a.acc[k]);
  const size_t rest = n - i;
  if (rest == 0) return;
  alignas(64) float staged[K][W];
  float* tail[K];
  for (size_t k = 0; k < K; ++k) {
    std::memset(staged[k], 0, sizeof staged[k]);
    if (k < 2) std::memcpy(staged[k], S::floats(ptrs[k]) + i, rest * sizeof(float));
    else if (S::present(ptrs[k])) S::stage_in(ptrs[k], i, rest, staged[k]);
    tail[k] = staged[k];
  }
  Access<F32, K> t{tail, {}};
  body(t, size_t(0));
  for (size_t k = 0; k < K; ++k) {
    if (!(written & (1u << k))) continue;
    if (k < 2) std::memcpy(S::floats(ptrs[k]) + i, staged[k], rest * sizeof(float));
    else S::stage_out(ptrs[k], i, rest, staged[k]);
  }
}

// for_each_piece (simd.h) in format S.
template <class S, class F>
inline void for_each_piece_as(const typename S::Piece* pieces, size_t count, F&& f) {
  for (size_t p = 0; p < count; ++p) {
    AheadOf<S> ahead{};
    if (p + 1 < count) {
      for (size_t k = 0; k < kMaxStreams; ++k) ahead.streams[k] = pieces[p + 1].streams[k];
      ahead.n = pieces[p + 1].n;
    }
    f(pieces[p].streams, pieces[p].n, static_cast<const AheadOf<S>*>(&ahead));
  }
}

// for_each_element (simd.h) in format S.
template <class S, size_t K, class Body>
inline void for_each_element_as(const typename S::Piece* pieces, size_t count, uint32_t written, Body&& body) {
  for_each_piece_as<S>(pieces, count, [&](const typename S::Stream* streams, size_t n, const AheadOf<S>* ahead) {
    typename S::Stream ptrs[K];
    for (size_t k = 0; k < K; ++k) ptrs[k] = streams[k];
    for_each_vector_as<S>(ptrs, written, n, ahead, body);
  });
}

// The gradient an update works with (effective_grad in simd.h), from the loaded gradient.
template <bool HasWd>
inline Vec::T scaled_grad(Vec::T grad, Vec::T p, Vec::T gradScale, Vec::T wd) {
  auto g = Vec::mul(grad, gradScale);
  if constexpr (HasWd) g = Vec::add(g, Vec::mul(wd, p));
  return g;
}

}  // namespace fused::FUSED_NS

// A kind's kernel written once as `template <class S> void kind_as(const double*, const
// typename S::Piece*, size_t)`: its float32 entry (the table's) and its stored-state entries.
#define FUSED_FORMATS(kind)                                                                            \
  namespace fused::FUSED_NS {                                                                          \
  FUSED_FLATTEN void kind(const double* raw, const Piece* pieces, size_t count) {                      \
    kind##_as<F32>(raw, pieces, count);                                                                \
  }                                                                                                    \
  FUSED_FLATTEN void kind##_bf16(const double* raw, const Bf16::Piece* pieces, size_t count) {          \
    kind##_as<Bf16>(raw, pieces, count);                                                               \
  }                                                                                                    \
  FUSED_FLATTEN void kind##_int8(const double* raw, const Int8::Piece* pieces, size_t count) {          \
    kind##_as<Int8>(raw, pieces, count);                                                               \
  }                                                                                                    \
  }
