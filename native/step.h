// A step's work over all its tensors, once its arguments are unwrapped and validated
// (native/unwrap.cpp): split across the thread pool, one kernel call per part, LAMB's two passes
// and trust ratios, reductions. Touches no JS, so it runs on the JS thread or a libuv worker.
#pragma once
#include <cstddef>
#include <vector>

#include "kernels/host_math.h"
#include "kernels/kernels.h"

namespace fused {

// A list of tensors as raw spans (Float32Array, or stored state's Uint16Array / Uint8Array).
struct Spans {
  bool present = false;
  std::vector<void*> data;
  std::vector<size_t> length;
  size_t elementBytes = 4;
  // Element i of tensor t (nullptr for an empty tensor).
  void* at(size_t t, size_t i) const {
    return data[t] == nullptr ? nullptr : static_cast<char*>(data[t]) + i * elementBytes;
  }
};

// The tensor lists of one step: a span list per stream (not present when the stream is disabled
// or absent) and the total element count.
struct StepArgs {
  std::vector<Spans> streams;
  size_t total = 0;
  // Stored state (stateDtype): the format of every stream after param and grad, and with int8
  // the block size and each state stream's absmax list.
  StoredLayout layout{StateFormat::f32, 0, 0};
  std::vector<Spans> absmax;
  // Out of place (streams.paramOut): the new params go here, streams[0] is only read. Each
  // tensor has its param's length; one that is its param's very memory is updated in place.
  Spans paramOut;
};

size_t totalLength(const Spans& s);

// Runs kind `kind` (an index of kindSpecs(), or kLambKind) over every tensor of `args`.
void runStep(size_t kind, const StepArgs& args, const double* scalars);
// The benchmark's write probe over the streams of probeSpec().
void runProbe(const StepArgs& args);

// A reduction over a tensor list, accumulated in double.
double runReduce(const Spans& x, host::ReduceOp op);

}  // namespace fused
