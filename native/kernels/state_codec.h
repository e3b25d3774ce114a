// The stored forms of optimizer state (stateDtype) in C++, used block by block by lowmem.cpp:
// bfloat16 words and block-wise int8 codes, bit for bit as src/backend/state-format.ts.
#pragma once
#include "formats.h"

namespace fused::FUSED_NS::state_codec {

// Buckets of n = |x| / absmax by its top 16 bits, from n = 2^-24 (below: code 0) through n = 1.
constexpr uint32_t kBucketBase = 0x3380;
constexpr uint32_t kBucketCount = 0x3f80 - kBucketBase + 1;
constexpr uint8_t kSignedNan = 0x80, kUnsignedNan = 0x01;

struct Tables {
  float map[2][256];               // [0] signed, [1] unsigned: code -> value
  uint32_t buckets[2][kBucketCount];  // lowCode | highCode << 8 | threshold's low 16 bits << 16
};

const Tables& tables();

void decodeBf16(const uint16_t* w, size_t n, float* out);
// Round to nearest even; NaN stays a quiet NaN.
void encodeBf16(const float* x, size_t n, uint16_t* w);

void decodeInt8(const uint8_t* c, size_t n, float absmax, const float* map, float* out);
// Quantizes one block whose largest finite magnitude has the bits m; returns its absmax.
float quantizeBlock(const float* x, size_t n, uint32_t m, const uint32_t* buckets, bool sgn, uint8_t* codes);
// Finds the block's absmax, then quantizes it.
float encodeInt8(const float* x, size_t n, const uint32_t* buckets, bool sgn, uint8_t* codes);

}  // namespace fused::FUSED_NS::state_codec
