// Divisor::divide (native/kernels/simd.h) against the divide instruction, bit for bit, on the
// ISA this file is compiled for: every float32 significand of one binade divided by 64
// divisors, constructed quotients as close to a float32 rounding boundary as float32 operands
// allow, special values (zeros, Infinity, NaN payloads, subnormals, overflow) and random bit
// patterns. Run by test/exact-division.test.ts; prints one summary line, exits 1 on a mismatch.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "simd.h"

using namespace fused::FUSED_NS;

namespace {

uint32_t bits(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  return b;
}
float from_bits(uint32_t b) {
  float x;
  std::memcpy(&x, &b, 4);
  return x;
}

// The reference: the ISA's own divide, one vector at a time (the kernels' bits before Divisor).
struct Checker {
  size_t checked = 0, mismatches = 0;
  void run(const std::vector<float>& xs, float c) {
    const Divisor d(c);
    const Vec::T cv = Vec::set1(c);
    alignas(64) float in[Vec::width], got[Vec::width], want[Vec::width];
    for (size_t i = 0; i < xs.size(); i += Vec::width) {
      for (size_t j = 0; j < Vec::width; ++j) in[j] = i + j < xs.size() ? xs[i + j] : 1.0f;
      Vec::store(got, d.divide(Vec::load(in)));
      Vec::store(want, Vec::div(Vec::load(in), cv));
      for (size_t j = 0; j < Vec::width && i + j < xs.size(); ++j) {
        ++checked;
        if (bits(got[j]) != bits(want[j]) && ++mismatches <= 10)
          std::printf("mismatch: %a / %a: divide gives %08x, the division %08x\n", in[j], c, bits(got[j]), bits(want[j]));
      }
    }
  }
};

}  // namespace

int main() {
  Checker check;
  std::mt19937_64 rng(20261203);
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };

  // Every significand of [1, 2), by divisors as the kernels see them (bias corrections in
  // (0, 1]) and beyond.
  std::vector<float> binade(size_t(1) << 23);
  for (uint32_t k = 0; k < binade.size(); ++k) binade[k] = from_bits(0x3f800000u | k);
  std::vector<float> divisors = {1.0f, 0.5f, 0.75f, 0.1f, 0.3f, 1e-3f, 3e38f, 1e-38f, 1.4e-45f, -0.3f, 0.0f};
  while (divisors.size() < 64) divisors.push_back(float(uniform(0.0, 1.0)));
  for (float c : divisors) check.run(binade, c);

  // Quotients next to a rounding boundary: for odd significands C and M (25 bits: a midpoint),
  // A = (C·M ± 1) / 2^25 makes A/C differ from M/2^25 by 1/(C·2^25), the least a float32
  // quotient can (docs/exact-division.md).
  size_t hard = 0;
  std::vector<float> xs;
  while (hard < 2000000) {
    const uint64_t C = (rng() & 0x7fffffu) | 0x800001u;  // odd, 24 bits
    uint64_t inv = C;                                     // C^-1 mod 2^25 by Newton's iteration
    for (int k = 0; k < 5; ++k) inv = (inv * (2 - C * inv)) & 0x1ffffffu;
    for (int sign : {1, -1}) {
      const uint64_t M = sign > 0 ? (0x2000000u - inv) & 0x1ffffffu : inv;  // C·M ≡ -sign (mod 2^25)
      if (M < 0x1000000u) continue;
      const uint64_t product = C * M + uint64_t(sign > 0 ? 1 : 0) - uint64_t(sign > 0 ? 0 : 1);
      if (product % 0x2000000u != 0) continue;
      const uint64_t A = product >> 25;
      if (A < 0x800000u || A >= 0x1000000u) continue;
      const int scale = int(rng() % 40) - 20;
      const float c = std::ldexp(float(C), -23 - int(rng() % 30));
      xs.assign(1, std::ldexp(float(A), -23 + scale));
      check.run(xs, c);
      ++hard;
    }
  }

  // Special values against assorted divisors.
  const std::vector<float> special = {0.0f, -0.0f, from_bits(0x7f800000u), from_bits(0xff800000u), from_bits(0x7fc00000u),
                                      from_bits(0xffc00000u), from_bits(0x7fc12345u), from_bits(0x7f800001u),
                                      from_bits(0xff912345u), from_bits(1u), from_bits(0x807fffffu), from_bits(0x00800000u),
                                      from_bits(0x7f7fffffu), from_bits(0xff7fffffu), 1.0f, -1.0f};
  for (float c : {1.0f, 0.5f, 0.3f, 1e-30f, 1.4e-45f, 0.0f, -0.0f, 7e37f, from_bits(0x7f800000u)}) check.run(special, c);

  // Random bit patterns (every class of float) by random divisors in (0, 1] and beyond.
  xs.resize(1 << 16);
  for (int round = 0; round < 400; ++round) {
    for (float& x : xs) x = from_bits(uint32_t(rng()));
    const float c = round % 4 == 3 ? from_bits(uint32_t(rng())) : float(uniform(0.0, 1.0));
    check.run(xs, c);
  }

  std::printf("checked %zu quotients (%zu next to a rounding boundary), %zu differ from the division\n", check.checked,
              hard, check.mismatches);
  return check.mismatches == 0 ? 0 : 1;
}
