// One vector abstraction per instruction set. Kernels are written once against `Vec` and this
// header is compiled once per ISA (see CMakeLists.txt), each copy in its own namespace.
//
// Every ISA performs the same IEEE float32 operations in the same order and never fuses a
// multiply with an add (-ffp-contract=off, no FMA intrinsics): the results are bit-identical
// to the pure-TypeScript backend, whatever the ISA, tail length or thread split.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels.h"  // Piece, Ahead, kMaxStreams

// avx512bf16 is the avx512 tier's code compiled with AVX512 BW/DQ/VL/BF16 as well: the same
// vectors, and bfloat16 state rounded by one instruction (formats.h).
#if defined(FUSED_ISA_AVX512BF16)
#define FUSED_ISA_AVX512 1
#include <immintrin.h>
#define FUSED_NS avx512bf16
#elif defined(FUSED_ISA_AVX512)
#include <immintrin.h>
#define FUSED_NS avx512
#elif defined(FUSED_ISA_AVX2)
#include <immintrin.h>
#define FUSED_NS avx2
#elif defined(FUSED_ISA_SSE2)
#include <emmintrin.h>
#define FUSED_NS sse2
#elif defined(FUSED_ISA_NEON)
#include <arm_neon.h>
#define FUSED_NS neon
#elif defined(FUSED_ISA_WASM)
#include <wasm_simd128.h>
#define FUSED_NS wasm
#elif defined(FUSED_ISA_SCALAR)
#include <cmath>
#define FUSED_NS scalar
#else
#error "define one FUSED_ISA_* when compiling a kernel translation unit"
#endif
#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#include <xmmintrin.h>
#endif

namespace fused::FUSED_NS {

#if defined(FUSED_ISA_AVX512)
struct Vec {
  using T = __m512;
  static constexpr size_t width = 16;
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static T set1(float x) { return _mm512_set1_ps(x); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static T div(T a, T b) { return _mm512_div_ps(a, b); }
  static T sqrt(T a) { return _mm512_sqrt_ps(a); }
  // a > b ? x : y, lane by lane (false when either is NaN), as the JS backend's ternaries
  static T select_gt(T a, T b, T x, T y) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_GT_OQ), y, x); }
  static T abs(T a) {
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff)));
  }
  // 1.0f in lanes holding NaN, 0.0f elsewhere
  static T nan_lanes(T a) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), _mm512_set1_ps(1.0f)); }
};
// Double-precision accumulation of squares and absolute values (gradient norms).
struct Acc {
  __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
  void add_squares(Vec::T x) {
    __m512d a = _mm512_cvtps_pd(_mm512_castps512_ps256(x));
    __m512d b = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
    lo = _mm512_add_pd(lo, _mm512_mul_pd(a, a));
    hi = _mm512_add_pd(hi, _mm512_mul_pd(b, b));
  }
  void add_values(Vec::T x) {
    lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(x)));
    hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1))));
  }
  double sum() const {
    alignas(64) double t[8];
    _mm512_store_pd(t, _mm512_add_pd(lo, hi));
    return ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
  }
};
#elif defined(FUSED_ISA_AVX2)
struct Vec {
  using T = __m256;
  static constexpr size_t width = 8;
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static T set1(float x) { return _mm256_set1_ps(x); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T sub(T a, T b) { return _mm256_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static T div(T a, T b) { return _mm256_div_ps(a, b); }
  static T sqrt(T a) { return _mm256_sqrt_ps(a); }
  static T select_gt(T a, T b, T x, T y) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_GT_OQ)); }
  static T abs(T a) { return _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))); }
  static T nan_lanes(T a) { return _mm256_and_ps(_mm256_cmp_ps(a, a, _CMP_UNORD_Q), _mm256_set1_ps(1.0f)); }
};
struct Acc {
  __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
  void add_squares(Vec::T x) {
    __m256d a = _mm256_cvtps_pd(_mm256_castps256_ps128(x));
    __m256d b = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
    lo = _mm256_add_pd(lo, _mm256_mul_pd(a, a));
    hi = _mm256_add_pd(hi, _mm256_mul_pd(b, b));
  }
  void add_values(Vec::T x) {
    lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(x)));
    hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)));
  }
  double sum() const {
    alignas(32) double t[4];
    _mm256_store_pd(t, _mm256_add_pd(lo, hi));
    return (t[0] + t[1]) + (t[2] + t[3]);
  }
};
#elif defined(FUSED_ISA_SSE2)
struct Vec {
  using T = __m128;
  static constexpr size_t width = 4;
  static T load(const float* p) { return _mm_loadu_ps(p); }
  static void store(float* p, T v) { _mm_storeu_ps(p, v); }
  static T set1(float x) { return _mm_set1_ps(x); }
  static T add(T a, T b) { return _mm_add_ps(a, b); }
  static T sub(T a, T b) { return _mm_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm_mul_ps(a, b); }
  static T div(T a, T b) { return _mm_div_ps(a, b); }
  static T sqrt(T a) { return _mm_sqrt_ps(a); }
  static T select_gt(T a, T b, T x, T y) {
    const __m128 gt = _mm_cmpgt_ps(a, b);
    return _mm_or_ps(_mm_and_ps(gt, x), _mm_andnot_ps(gt, y));
  }
  static T abs(T a) { return _mm_and_ps(a, _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff))); }
  static T nan_lanes(T a) { return _mm_and_ps(_mm_cmpunord_ps(a, a), _mm_set1_ps(1.0f)); }
};
struct Acc {
  __m128d lo = _mm_setzero_pd(), hi = _mm_setzero_pd();
  void add_squares(Vec::T x) {
    __m128d a = _mm_cvtps_pd(x);
    __m128d b = _mm_cvtps_pd(_mm_movehl_ps(x, x));
    lo = _mm_add_pd(lo, _mm_mul_pd(a, a));
    hi = _mm_add_pd(hi, _mm_mul_pd(b, b));
  }
  void add_values(Vec::T x) {
    lo = _mm_add_pd(lo, _mm_cvtps_pd(x));
    hi = _mm_add_pd(hi, _mm_cvtps_pd(_mm_movehl_ps(x, x)));
  }
  double sum() const {
    alignas(16) double t[2];
    _mm_store_pd(t, _mm_add_pd(lo, hi));
    return t[0] + t[1];
  }
};
#elif defined(FUSED_ISA_NEON)
struct Vec {
  using T = float32x4_t;
  static constexpr size_t width = 4;
  static T load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, T v) { vst1q_f32(p, v); }
  static T set1(float x) { return vdupq_n_f32(x); }
  static T add(T a, T b) { return vaddq_f32(a, b); }
  static T sub(T a, T b) { return vsubq_f32(a, b); }
  static T mul(T a, T b) { return vmulq_f32(a, b); }
  static T div(T a, T b) { return vdivq_f32(a, b); }
  static T sqrt(T a) { return vsqrtq_f32(a); }
  static T select_gt(T a, T b, T x, T y) { return vbslq_f32(vcgtq_f32(a, b), x, y); }
  static T abs(T a) { return vabsq_f32(a); }
  static T nan_lanes(T a) {
    return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(vdupq_n_f32(1.0f)), vceqq_f32(a, a)));
  }
};
struct Acc {
  float64x2_t lo = vdupq_n_f64(0.0), hi = vdupq_n_f64(0.0);
  void add_squares(Vec::T x) {
    float64x2_t a = vcvt_f64_f32(vget_low_f32(x));
    float64x2_t b = vcvt_high_f64_f32(x);
    lo = vaddq_f64(lo, vmulq_f64(a, a));
    hi = vaddq_f64(hi, vmulq_f64(b, b));
  }
  void add_values(Vec::T x) {
    lo = vaddq_f64(lo, vcvt_f64_f32(vget_low_f32(x)));
    hi = vaddq_f64(hi, vcvt_high_f64_f32(x));
  }
  double sum() const { return vaddvq_f64(vaddq_f64(lo, hi)); }
};
#elif defined(FUSED_ISA_WASM)
// WebAssembly SIMD (128-bit), for the wasm backend (native/wasm): IEEE float32 lanes, sqrt
// correctly rounded, no fused multiply-add without relaxed-simd, so the same bits again.
struct Vec {
  using T = v128_t;
  static constexpr size_t width = 4;
  static T load(const float* p) { return wasm_v128_load(p); }
  static void store(float* p, T v) { wasm_v128_store(p, v); }
  static T set1(float x) { return wasm_f32x4_splat(x); }
  static T add(T a, T b) { return wasm_f32x4_add(a, b); }
  static T sub(T a, T b) { return wasm_f32x4_sub(a, b); }
  static T mul(T a, T b) { return wasm_f32x4_mul(a, b); }
  static T div(T a, T b) { return wasm_f32x4_div(a, b); }
  static T sqrt(T a) { return wasm_f32x4_sqrt(a); }
  static T select_gt(T a, T b, T x, T y) { return wasm_v128_bitselect(x, y, wasm_f32x4_gt(a, b)); }
  static T abs(T a) { return wasm_f32x4_abs(a); }
  static T nan_lanes(T a) { return wasm_v128_and(wasm_f32x4_ne(a, a), wasm_f32x4_splat(1.0f)); }
};
struct Acc {
  v128_t lo = wasm_f64x2_splat(0.0), hi = wasm_f64x2_splat(0.0);
  void add_squares(Vec::T x) {
    const v128_t a = wasm_f64x2_promote_low_f32x4(x);
    const v128_t b = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(x, x, 2, 3, 0, 1));
    lo = wasm_f64x2_add(lo, wasm_f64x2_mul(a, a));
    hi = wasm_f64x2_add(hi, wasm_f64x2_mul(b, b));
  }
  void add_values(Vec::T x) {
    lo = wasm_f64x2_add(lo, wasm_f64x2_promote_low_f32x4(x));
    hi = wasm_f64x2_add(hi, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(x, x, 2, 3, 0, 1)));
  }
  double sum() const {
    const v128_t t = wasm_f64x2_add(lo, hi);
    return wasm_f64x2_extract_lane(t, 0) + wasm_f64x2_extract_lane(t, 1);
  }
};
#else  // scalar: one lane, plain C++; the reference the vector ISAs must reproduce
struct Vec {
  using T = float;
  static constexpr size_t width = 1;
  static T load(const float* p) { return *p; }
  static void store(float* p, T v) { *p = v; }
  static T set1(float x) { return x; }
  static T add(T a, T b) { return a + b; }
  static T sub(T a, T b) { return a - b; }
  static T mul(T a, T b) { return a * b; }
  static T div(T a, T b) { return a / b; }
  static T sqrt(T a) { return std::sqrt(a); }
  static T select_gt(T a, T b, T x, T y) { return a > b ? x : y; }
  static T abs(T a) { return std::fabs(a); }
  static T nan_lanes(T a) { return a != a ? 1.0f : 0.0f; }
};
struct Acc {
  double s = 0.0;
  void add_squares(float x) { s += double(x) * double(x); }
  void add_values(float x) { s += double(x); }
  double sum() const { return s; }
};
#endif

// Division by a value fixed for a whole step (a bias correction), with exactly the bits of
// Vec::div. The divider is what bounds the Adam family (a divide and a square root per element
// cost 12 and 15 cycles per 16 lanes on AVX-512), so where float64 conversions are cheap the
// quotient is taken as x·r in float64, r = 1/c rounded to float64 once per step, then rounded to
// float32. That is the correctly rounded x/c: for float32 x and c, x/c is never exactly a float32
// rounding boundary (a midpoint has 25 significant bits, x = c·midpoint would need more than
// 24) and is at least 2^-49·|x/c| away from every boundary (the difference x - c·m is a nonzero
// multiple of the unit that c·m's 49 bits end on); x·r in float64 is within 2^-52·|x/c| (two
// roundings), so it rounds to the float32 x/c rounds to. Subnormal results keep the bound (the
// boundaries are spaced by 2^-150 there); Infinity, NaN (payload included), zeros and c = 0
// come out as the division gives them. docs/exact-division.md has the proof in full and
// test/exact-division.test.ts checks it against the divide instruction on hard cases.
struct Divisor {
  explicit Divisor(float c) : c_(Vec::set1(c)) {
#if defined(FUSED_ISA_AVX512)
    r_ = _mm512_set1_pd(1.0 / double(c));
#elif defined(FUSED_ISA_AVX2)
    r_ = _mm256_set1_pd(1.0 / double(c));
#endif
  }
  Vec::T divide(Vec::T x) const {
#if defined(FUSED_ISA_AVX512)
    const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(x));
    const __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
    const __m256 qlo = _mm512_cvtpd_ps(_mm512_mul_pd(lo, r_)), qhi = _mm512_cvtpd_ps(_mm512_mul_pd(hi, r_));
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(qlo)), _mm256_castps_pd(qhi), 1));
#elif defined(FUSED_ISA_AVX2)
    const __m128 qlo = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(x)), r_));
    const __m128 qhi = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)), r_));
    return _mm256_insertf128_ps(_mm256_castps128_ps256(qlo), qhi, 1);
#else
    return Vec::div(x, c_);
#endif
  }

 private:
  Vec::T c_;
#if defined(FUSED_ISA_AVX512)
  __m512d r_;
#elif defined(FUSED_ISA_AVX2)
  __m256d r_;
#endif
};

// Comparisons written once for every ISA, with the JS backend's exact semantics.
inline Vec::T vmax(Vec::T a, Vec::T b) { return Vec::select_gt(a, b, a, b); }  // a > b ? a : b
// c > 0 ? 1 : c < 0 ? -1 : c (keeps ±0 and NaN, like Math.sign)
inline Vec::T vsign(Vec::T c) {
  const auto zero = Vec::set1(0.0f);
  return Vec::select_gt(c, zero, Vec::set1(1.0f), Vec::select_gt(zero, c, Vec::set1(-1.0f), c));
}
// x < -c ? -c : x > c ? c : x (NaN stays NaN, like torch.clamp)
inline Vec::T vclamp(Vec::T x, Vec::T c) {
  const auto lo = Vec::sub(Vec::set1(0.0f), c);
  return Vec::select_gt(lo, x, lo, Vec::select_gt(x, c, c, x));
}

// A hint to bring the cache line holding `p` in; never faults (a no-op on wasm). Written inline
// in the loops that use it: GCC deems a function that only prefetches free of effects and
// deletes calls to it when they are not inlined.
inline void prefetch_line(const void* p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p, 0, 3);
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
  _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0);
#else
  (void)p;
#endif
}

// Runs `body(ptrs, i)` over n elements of K parallel arrays, one vector at a time. The tail
// (fewer than `width` elements) is staged through a zero-padded stack buffer so it goes
// through exactly the same vector code: no scalar remainder loop whose rounding could differ.
// Only the arrays flagged in `written` are copied back, so read-only inputs are never stored to.
//
// With `ahead`, each cache line's worth of elements first prefetches the next tensor's line at
// the same offset, so that tensor's pages are in cache before its call starts.
template <size_t K, class Body>
inline void for_each_vector(float* const (&ptrs)[K], uint32_t written, size_t n, const Ahead* ahead, Body&& body) {
  constexpr size_t W = Vec::width;
  constexpr size_t kLine = 64 / sizeof(float);
  size_t i = 0;
#if defined(FUSED_ISA_WASM)
  ahead = nullptr;  // nothing to prefetch with: keep one copy of the loop
#endif
  if (ahead != nullptr && ahead->n > 0) {
    for (; i + W <= n; i += W) {
      if (i % kLine == 0 && i < ahead->n)
        for (const float* next : ahead->streams)
          if (next != nullptr) prefetch_line(next + i);
      body(ptrs, i);
    }
  } else {
    for (; i + W <= n; i += W) body(ptrs, i);
  }
  const size_t rest = n - i;
  if (rest == 0) return;
  alignas(64) float staged[K][W];
  float* tail[K];
  for (size_t k = 0; k < K; ++k) {
    std::memset(staged[k], 0, sizeof staged[k]);
    std::memcpy(staged[k], ptrs[k] + i, rest * sizeof(float));
    tail[k] = staged[k];
  }
  body(tail, size_t(0));
  for (size_t k = 0; k < K; ++k)
    if (written & (1u << k)) std::memcpy(ptrs[k] + i, staged[k], rest * sizeof(float));
}

// The same without a next tensor (LAMB's per-tensor passes, the reductions).
template <size_t K, class Body>
inline void for_each_vector(float* const (&ptrs)[K], uint32_t written, size_t n, Body&& body) {
  for_each_vector(ptrs, written, n, static_cast<const Ahead*>(nullptr), static_cast<Body&&>(body));
}

}  // namespace fused::FUSED_NS

namespace fused::FUSED_NS {

// Calls f(streams, n, ahead) for every piece in order, ahead being the piece after it.
template <class F>
inline void for_each_piece(const Piece* pieces, size_t count, F&& f) {
  for (size_t p = 0; p < count; ++p) {
    Ahead ahead{};
    if (p + 1 < count) {
      for (size_t k = 0; k < kMaxStreams; ++k) ahead.streams[k] = pieces[p + 1].streams[k];
      ahead.n = pieces[p + 1].n;
    }
    f(static_cast<float* const*>(pieces[p].streams), pieces[p].n, static_cast<const Ahead*>(&ahead));
  }
}

// for_each_vector over every piece, with the piece's first K streams as the arrays: the usual
// shape of a step kernel (those that alias an absent stream to another build their own).
template <size_t K, class Body>
inline void for_each_element(const Piece* pieces, size_t count, uint32_t written, Body&& body) {
  for_each_piece(pieces, count, [&](float* const* streams, size_t n, const Ahead* ahead) {
    float* ptrs[K];
    for (size_t k = 0; k < K; ++k) ptrs[k] = streams[k];
    for_each_vector(ptrs, written, n, ahead, body);
  });
}

// Marks a step kernel whose whole lambda nest must be inlined into it. Left alone, GCC keeps
// the per-piece loop as a function of its own, which reads the kernel's broadcast constants
// through a reference that any float store may alias (vector types alias floats), and so
// reloads them in the hot loop.
#if defined(__GNUC__) || defined(__clang__)
#define FUSED_FLATTEN __attribute__((flatten))
#else
#define FUSED_FLATTEN
#endif

// Kernels get raw doubles from JS; copying into the struct avoids aliasing a double array as it.
// (In the ISA namespace like everything here: an inline function shared by the per-ISA
// translation units could otherwise be linked from the AVX-512 copy into the scalar path.)
template <class Scalars>
inline Scalars readScalars(const double* raw) {
  Scalars s;
  std::memcpy(&s, raw, sizeof s);
  return s;
}

// The gradient an update works with: scaled (clip coefficient; negative when maximizing), plus
// L2 weight decay wd·p for the optimizers that fold it into the gradient.
template <bool HasWd>
inline Vec::T effective_grad(const float* grad, Vec::T p, Vec::T gradScale, Vec::T wd) {
  auto g = Vec::mul(Vec::load(grad), gradScale);
  if constexpr (HasWd) g = Vec::add(g, Vec::mul(wd, p));
  return g;
}

// Calls f with std::true_type or std::false_type: turns a per-step flag into a template
// parameter, so the hot loop has no branch on it.
template <class F>
inline void with_flag(bool flag, F&& f) {
  if (flag) f(std::true_type{});
  else f(std::false_type{});
}

}  // namespace fused::FUSED_NS
