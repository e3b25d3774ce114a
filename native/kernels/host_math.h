// The arithmetic between kernel calls, in double: LAMB's trust ratio and the combining of partial
// reductions. Written once for the addon (native/step.cpp) and the wasm module
// (native/wasm/exports.cpp); src/backend/js (lamb.ts, reduce.ts) is the readable specification.
// Host code only: kernel files must not include it (these inline functions are not in an ISA
// namespace, so copies built with different ISA flags could be merged by the linker).
#pragma once
#include <cmath>
#include <cstring>

#include "kinds.h"

namespace fused::host {

// A kind's scalars by name; copied, not cast: the raw doubles are not a struct.
template <class Scalars>
inline Scalars scalarsOf(const double* raw) {
  Scalars s;
  std::memcpy(&s, raw, sizeof s);
  return s;
}

// LAMB's step size for one tensor: lr · ||param|| / ||update||, or lr when either norm is 0.
inline double lambLrTrust(const lamb_scalars& s, double paramSq, double updateSq) {
  return paramSq > 0 && updateSq > 0 ? s.lr * (std::sqrt(paramSq) / std::sqrt(updateSq)) : s.lr;
}

// Reductions over a tensor list (the codes JS passes).
enum class ReduceOp { sumSquares = 0, sumAbs = 1, maxAbs = 2, sumFloat = 3 };

// Adds a part's result to the running one; for maxAbs the larger, NaN once either is NaN (a
// tensor holding NaN has a NaN infinity norm, as in PyTorch).
inline double combine(ReduceOp op, double acc, double part) {
  if (op != ReduceOp::maxAbs) return acc + part;
  return (part > acc || std::isnan(part)) && !std::isnan(acc) ? part : acc;
}

}  // namespace fused::host
