// The kernel table: what every ISA implementation provides. Kernels do only per-element work
// on one contiguous slice of each stream; per-step scalars arrive precomputed (in double, by
// the host side) in the layout kinds.h declares.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kinds.h"

namespace fused {

// The most streams a kernel kind has (Adam with amsgrad: param, grad and three moments).
constexpr size_t kMaxStreams = 5;

// Where the tensor after this one starts in each stream (nullptr if absent), and its length. A
// kernel prefetches it line by line, at the offset it has reached in its own slice: small
// tensors are separate allocations, and the hardware prefetchers learn each page only after a
// few misses in it.
struct Ahead {
  const float* streams[kMaxStreams];
  size_t n;
};

// One tensor's slice in a kernel call: streams[k] points at its first element in the k-th
// stream (nullptr if that stream is not enabled), n elements long.
struct Piece {
  float* streams[kMaxStreams];
  size_t n;
};

// Updates pieces[0 .. count) in order, each prefetching the next as it goes. One call covers a
// part of a step's work (the pool's unit, 32K elements), so its scalars are read and broadcast
// once per part, not per tensor: 1024 tensors of 16 elements run 2.2x faster than with a call
// per tensor, and 1024 separate 1K tensors 5-15% faster (2-vCPU EPYC VM, AVX-512).
using StepKernel = void (*)(const double* scalars, const Piece* pieces, size_t count);

// Every kind's streams fit in a Piece.
#define FUSED_COUNT_STREAM(name, written, enabledBy) +1
#define FUSED_CHECK_STREAMS(kind, SCALARS, STREAMS) \
  static_assert((0 STREAMS(FUSED_COUNT_STREAM)) <= kMaxStreams, #kind " has more streams than kMaxStreams");
FUSED_STEP_KINDS(FUSED_CHECK_STREAMS)
FUSED_CHECK_STREAMS(lamb, FUSED_LAMB_SCALARS, FUSED_LAMB_STREAMS)
FUSED_CHECK_STREAMS(probe, , FUSED_PROBE_STREAMS)
#undef FUSED_CHECK_STREAMS
#undef FUSED_COUNT_STREAM

// Optimizer state stored in less than float32 (stateDtype, src/backend/state-format.ts): every
// stream after param and grad holds bfloat16 words or int8 codes, and with int8 each block of
// `blockSize` elements (counted from the tensor's start) has one float32 scale, its absmax.
enum class StateFormat : int { f32 = 0, bf16 = 1, int8 = 2 };
constexpr size_t kMaxBlock = 4096;  // block sizes: 256 .. 4096, powers of two dividing a pool part

struct StoredLayout {
  StateFormat format;
  size_t blockSize;       // int8: every piece starts on a block boundary of its tensor
  uint32_t unsignedMask;  // bit k: stream k uses the unsigned map (FUSED_UNSIGNED_STATE)
};

// A tensor's slice with stored state: streams[0] and [1] are the float32 param and grad,
// streams[k >= 2] the bf16 words or int8 codes at the slice's first element (nullptr if the
// stream is not enabled), absmax[k] the scale of the slice's first int8 block.
struct StoredPiece {
  void* streams[kMaxStreams];
  float* absmax[kMaxStreams];
  size_t n;
};

// Runs `kernel` (a float32 step kernel of the same table) block by block on the decoded state,
// encoding it back after each block: one pass over memory.
using StoredStepKernel = void (*)(StepKernel kernel, const StoredLayout& layout, const double* scalars,
                                  const StoredPiece* pieces, size_t count);

struct KernelTable {
  const char* isa;
  StepKernel step[static_cast<size_t>(Kind::count)];
  // LAMB pass 1: updates the moments and adds ||param||² and ||update||² to sums[0], sums[1].
  void (*lambMoments)(const double* scalars, float* const* streams, size_t n, double* sums);
  // LAMB pass 2: param -= lrTrust * update, the update recomputed from the new moments.
  void (*lambApply)(const double* scalars, float* const* streams, size_t n, double lrTrust);
  double (*sumSquares)(const float* x, size_t n);  // accumulated in double
  double (*sumAbs)(const float* x, size_t n);      // accumulated in double
  float (*maxAbs)(const float* x, size_t n);       // NaN if any element is NaN
  StoredStepKernel storedStep;                     // native/kernels/lowmem.cpp
  // The benchmark's yardsticks (FUSED_PROBE_STREAMS): a += b, c += b, d += b, and a read-only
  // float sum.
  StepKernel probe;
  double (*sumFloat)(const float* x, size_t n);
};

}  // namespace fused

// Each ISA's copy of the kernels exports its table from its own namespace.
#define FUSED_DECLARE_TABLE(ns) \
  namespace fused::ns {         \
  const KernelTable& table();   \
  }
FUSED_DECLARE_TABLE(scalar)
FUSED_DECLARE_TABLE(sse2)
FUSED_DECLARE_TABLE(avx2)
FUSED_DECLARE_TABLE(avx512)
FUSED_DECLARE_TABLE(avx512bf16)
FUSED_DECLARE_TABLE(neon)
FUSED_DECLARE_TABLE(wasm)
