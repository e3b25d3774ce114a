// How to find the nearest int8 code (stateDtype 'int8'), measured on the kernels' own AVX2 code
// (native/kernels/lowmem.cpp, included) against the alternatives. Build and run:
//   g++ -O3 -std=c++17 -mavx2 -mfma -ffp-contract=off -DFUSED_ISA_AVX2 -Inative/kernels \
//       bench/experiments/quantize.cpp \
//       native/kernels/{sgd,adagrad,rmsprop,adadelta,adamax,nadam,radam,lion}.cpp -o /tmp/quantize && /tmp/quantize
// Prints ns per element of each way over a block of 2048 values (in L1), best of many runs, and
// checks that every exact way gives the same codes.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "adam.cpp"  // lowmem.cpp refers to the kernels it runs per format
#include "lowmem.cpp"
#include "state_codec.cpp"

using namespace fused::avx2;

namespace {

constexpr size_t kBlock = 2048;

// 1. The kernels' way: one 32-bit gather per 8 values from the 3073-bucket table.
void bucketGather(const float* x, float inv, const uint32_t* buckets, uint8_t* codes) {
  quantizeCodes(x, kBlock, inv, buckets, true, codes);
}

// 2. The same table, one scalar lookup per value.
void bucketScalar(const float* x, float inv, const uint32_t* buckets, uint8_t* codes) {
  for (size_t i = 0; i < kBlock; ++i) codes[i] = codeOf(bits_of(x[i]), inv, buckets, true);
}

// 3. Branchless binary search over the 127 thresholds of the signed magnitudes, one gather per level.
struct Search {
  float thresholds[128];  // thresholds[k]: between magnitude codes k and k + 1; [127] = +inf
};
void binarySearch(const float* x, float inv, const Search& s, uint8_t* codes) {
  const __m256 vinv = _mm256_set1_ps(inv);
  const __m256i absMask = _mm256_set1_epi32(0x7fffffff);
  for (size_t i = 0; i < kBlock; i += 8) {
    const __m256i xb = _mm256_castps_si256(_mm256_loadu_ps(x + i));
    const __m256 n = _mm256_mul_ps(_mm256_castsi256_ps(_mm256_and_si256(xb, absMask)), vinv);
    __m256i lo = _mm256_setzero_si256();  // the code is lo + (number of thresholds from lo below n)
    for (int step = 64; step >= 1; step >>= 1) {
      const __m256i probe = _mm256_add_epi32(lo, _mm256_set1_epi32(step - 1));
      const __m256 t = _mm256_i32gather_ps(s.thresholds, probe, 4);
      lo = _mm256_add_epi32(lo, _mm256_and_si256(_mm256_castps_si256(_mm256_cmp_ps(n, t, _CMP_GT_OQ)), _mm256_set1_epi32(step)));
    }
    const __m256i negative = _mm256_andnot_si256(_mm256_cmpeq_epi32(lo, _mm256_setzero_si256()), _mm256_srai_epi32(xb, 31));
    const __m256i code = _mm256_or_si256(lo, _mm256_and_si256(negative, _mm256_set1_epi32(0x80)));
    alignas(32) int32_t out[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(out), code);
    for (int k = 0; k < 8; ++k) codes[i + k] = uint8_t(out[k]);
  }
}

// 4. Arithmetic: the decade from comparisons with 10^-E, the fraction from a multiply, rounded;
// no table at all. Not exact: near a threshold its float rounding can pick the neighbour (it
// would need the gather of method 1 to correct that), so it is timed as a lower bound only.
void arithmetic(const float* x, float inv, uint8_t* codes) {
  const __m256 vinv = _mm256_set1_ps(inv);
  const __m256i absMask = _mm256_set1_epi32(0x7fffffff);
  for (size_t i = 0; i < kBlock; i += 8) {
    const __m256i xb = _mm256_castps_si256(_mm256_loadu_ps(x + i));
    const __m256 n = _mm256_mul_ps(_mm256_castsi256_ps(_mm256_and_si256(xb, absMask)), vinv);
    __m256 scale = _mm256_set1_ps(1.0f), fractionScale = _mm256_set1_ps(64.0f);
    __m256i base = _mm256_set1_epi32(64);
    for (int e = 1; e <= 6; ++e) {  // n <= 10^-e: one decade down, half the fraction codes
      const __m256 below = _mm256_cmp_ps(n, _mm256_set1_ps(float(kDecades[e])), _CMP_LE_OQ);
      scale = _mm256_blendv_ps(scale, _mm256_set1_ps(float(1 / kDecades[e])), below);
      fractionScale = _mm256_blendv_ps(fractionScale, _mm256_set1_ps(float(64 >> e)), below);
      base = _mm256_blendv_epi8(base, _mm256_set1_epi32(64 >> e), _mm256_castps_si256(below));
    }
    const __m256 f = _mm256_sub_ps(_mm256_mul_ps(_mm256_div_ps(_mm256_sub_ps(_mm256_mul_ps(n, scale), _mm256_set1_ps(0.1f)), _mm256_set1_ps(0.9f)), fractionScale), _mm256_set1_ps(1.0f));
    __m256i code = _mm256_add_epi32(base, _mm256_max_epi32(_mm256_cvtps_epi32(f), _mm256_setzero_si256()));
    const __m256i negative = _mm256_srai_epi32(xb, 31);
    code = _mm256_or_si256(code, _mm256_and_si256(negative, _mm256_set1_epi32(0x80)));
    alignas(32) int32_t out[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(out), code);
    for (int k = 0; k < 8; ++k) codes[i + k] = uint8_t(out[k]);
  }
}

template <class F>
double nsPerElement(F&& f) {
  double best = 1e9;
  for (int r = 0; r < 200; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < 50; ++k) f();
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count() / (50.0 * kBlock));
  }
  return best;
}

}  // namespace

int main() {
  const Tables& t = tables();
  Search s{};
  for (int k = 0; k < 127; ++k) s.thresholds[k] = threshold(t.map[0][k], t.map[0][k + 1]);
  s.thresholds[127] = INFINITY;
  std::mt19937 gen(1);
  std::student_t_distribution<float> heavy(3.0f);
  std::vector<float> x(kBlock);
  for (auto& v : x) v = heavy(gen) * 1e-3f;
  const float absmax = from_bits(absmaxBits(x.data(), kBlock)), inv = 1.0f / absmax;
  std::vector<uint8_t> a(kBlock), b(kBlock), c(kBlock), d(kBlock);
  std::vector<float> decoded(kBlock);
  bucketGather(x.data(), inv, t.buckets[0], a.data());
  bucketScalar(x.data(), inv, t.buckets[0], b.data());
  binarySearch(x.data(), inv, s, c.data());
  arithmetic(x.data(), inv, d.data());
  size_t arithmeticMisses = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    if (a[i] != b[i] || a[i] != c[i]) {
      std::printf("methods disagree at %zu: %d %d %d\n", i, a[i], b[i], c[i]);
      return 1;
    }
    arithmeticMisses += a[i] != d[i];
  }
  std::printf("ns per element, block of %zu in L1 (heavy-tailed values):\n", kBlock);
  std::printf("  quantize, bucket table + gather (kernels): %.3f\n", nsPerElement([&] { bucketGather(x.data(), inv, t.buckets[0], a.data()); }));
  std::printf("  quantize, bucket table, scalar lookups:    %.3f\n", nsPerElement([&] { bucketScalar(x.data(), inv, t.buckets[0], b.data()); }));
  std::printf("  quantize, binary search, 7 gathers:        %.3f\n", nsPerElement([&] { binarySearch(x.data(), inv, s, c.data()); }));
  std::printf("  quantize, arithmetic (inexact: %zu of %zu differ): %.3f\n", arithmeticMisses, kBlock, nsPerElement([&] { arithmetic(x.data(), inv, d.data()); }));
  std::printf("  absmax of the block:                       %.3f\n", nsPerElement([&] { volatile uint32_t m = absmaxBits(x.data(), kBlock); (void)m; }));
  std::printf("  dequantize, gather (kernels):              %.3f\n", nsPerElement([&] { decodeInt8(a.data(), kBlock, absmax, t.map[0], decoded.data()); }));
  std::printf("  dequantize, scalar lookups:                %.3f\n", nsPerElement([&] {
    for (size_t i = 0; i < kBlock; ++i) decoded[i] = t.map[0][a[i]] * absmax;
    asm volatile("" ::"r"(decoded.data()) : "memory");
  }));
  std::vector<uint16_t> words(kBlock);
  std::printf("  bfloat16 encode:                           %.3f\n", nsPerElement([&] { encodeBf16(x.data(), kBlock, words.data()); asm volatile("" ::"r"(words.data()) : "memory"); }));
  std::printf("  bfloat16 decode:                           %.3f\n", nsPerElement([&] { decodeBf16(words.data(), kBlock, decoded.data()); asm volatile("" ::"r"(decoded.data()) : "memory"); }));
  return 0;
}
