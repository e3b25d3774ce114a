// Decoding int8 codes (stateDtype 'int8') on AVX-512: a 16-lane gather from the 256-float map
// against vpermi2ps (_mm512_permutex2var_ps, AVX512F) over the map held as 16 registers' worth of
// memory operands, 8 permutes and 7 masked blends by index bits 5..7. ns per element over 2048
// codes in L1, best of many runs; checks both give the same bits. Build and run:
//   g++ -O3 -std=c++17 -mavx512f -mavx2 -mfma -ffp-contract=off -DFUSED_ISA_AVX512 -Inative/kernels \
//       bench/experiments/decode.cpp \
//       native/kernels/{sgd,adagrad,rmsprop,adadelta,adamax,nadam,radam,lion}.cpp -o /tmp/decode && /tmp/decode
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>

#include "adam.cpp"  // lowmem.cpp refers to the kernels it runs per format
#include "lowmem.cpp"
#include "state_codec.cpp"

using namespace fused::avx512;

namespace {

constexpr size_t kBlock = 2048;

__m512 gatherDecode(__m512i idx, const float* map) { return _mm512_i32gather_ps(idx, map, 4); }

__m512 permuteDecode(__m512i idx, const float* map) {
  __m512 r[8];
  for (int g = 0; g < 8; ++g)
    r[g] = _mm512_permutex2var_ps(_mm512_loadu_ps(map + 32 * g), idx, _mm512_loadu_ps(map + 32 * g + 16));
  const __mmask16 b5 = _mm512_test_epi32_mask(idx, _mm512_set1_epi32(0x20));
  const __mmask16 b6 = _mm512_test_epi32_mask(idx, _mm512_set1_epi32(0x40));
  const __mmask16 b7 = _mm512_test_epi32_mask(idx, _mm512_set1_epi32(0x80));
  const __m512 q0 = _mm512_mask_blend_ps(b5, r[0], r[1]), q1 = _mm512_mask_blend_ps(b5, r[2], r[3]);
  const __m512 q2 = _mm512_mask_blend_ps(b5, r[4], r[5]), q3 = _mm512_mask_blend_ps(b5, r[6], r[7]);
  return _mm512_mask_blend_ps(b7, _mm512_mask_blend_ps(b6, q0, q1), _mm512_mask_blend_ps(b6, q2, q3));
}

template <class F>
double bench(F decode, const uint8_t* codes, const float* map, float scale, float* out) {
  double best = 1e30;
  for (int run = 0; run < 200; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int rep = 0; rep < 50; ++rep) {
      const __m512 s = _mm512_set1_ps(scale);
      for (size_t i = 0; i < kBlock; i += 16) {
        const __m512i idx = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + i)));
        _mm512_storeu_ps(out + i, _mm512_mul_ps(decode(idx, map), s));
      }
      asm volatile("" ::: "memory");
    }
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    best = ns / (50.0 * kBlock) < best ? ns / (50.0 * kBlock) : best;
  }
  return best;
}

}  // namespace

int main() {
  std::mt19937 rng(1);
  alignas(64) uint8_t codes[kBlock];
  alignas(64) float a[kBlock], b[kBlock];
  for (auto& c : codes) c = uint8_t(rng());
  const auto& t = tables();
  for (int m = 0; m < 2; ++m) {
    const double g = bench(gatherDecode, codes, t.map[m], 0.37f, a);
    const double p = bench(permuteDecode, codes, t.map[m], 0.37f, b);
    std::printf("%s map: gather %.3f ns/element, vpermi2ps %.3f ns/element, same bits: %s\n", m ? "unsigned" : "signed",
                g, p, std::memcmp(a, b, sizeof a) == 0 ? "yes" : "NO");
  }
}
