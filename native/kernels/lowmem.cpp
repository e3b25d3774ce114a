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
// The encodings themselves are in state_codec.cpp.
#include "state_codec.h"

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

using namespace state_codec;

// Elements decoded at a time with bfloat16 state (no blocks): three streams of it stay in L1.
constexpr size_t kBf16Chunk = 2048;

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
