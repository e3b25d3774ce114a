// The kernel table: what every ISA implementation provides. Kernels do only per-element work
// on one contiguous slice; per-step scalars arrive precomputed (in double, by the host side).
#pragma once
#include <cstddef>

namespace fused {

enum class WeightDecay { None, L2, Decoupled };

// Per-step scalars of Adam/AdamW, all derived on the host side from the hyperparameters.
struct AdamScalars {
  double gradScale;     // multiplies every gradient; negative when maximizing
  double l2;            // Adam's L2 weight decay folded into the gradient
  double paramDecay;    // AdamW's 1 - lr * weightDecay
  double oneMinusBeta1;
  double beta2;
  double oneMinusBeta2;
  double stepSize;      // lr / (1 - beta1^t)
  double bc2Sqrt;       // sqrt(1 - beta2^t)
  double eps;
  WeightDecay decay;
  bool amsgrad;
};

// One tensor's slice of Adam state; maxExpAvgSq is null unless amsgrad.
struct AdamSlice {
  float* param;
  const float* grad;
  float* expAvg;
  float* expAvgSq;
  float* maxExpAvgSq;
  size_t n;
};

struct KernelTable {
  const char* isa;
  void (*adam)(const AdamScalars&, const AdamSlice&);
  double (*sumSquares)(const float* x, size_t n);  // accumulated in double
  double (*sumAbs)(const float* x, size_t n);      // accumulated in double
  float (*maxAbs)(const float* x, size_t n);       // NaN if any element is NaN
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
