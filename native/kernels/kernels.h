// The kernel table: what every ISA implementation provides. Kernels do only per-element work
// on one contiguous slice of each stream; per-step scalars arrive precomputed (in double, by
// the host side) in the layout kinds.h declares.
#pragma once
#include <cstddef>

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
#undef FUSED_CHECK_STREAMS
#undef FUSED_COUNT_STREAM

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
  double (*sumFloat)(const float* x, size_t n);    // float lanes: the read-only bandwidth probe
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
FUSED_DECLARE_TABLE(neon)
FUSED_DECLARE_TABLE(wasm)
