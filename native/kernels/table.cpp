// This ISA's kernel table. Compiled once per ISA with that ISA's flags, like every kernel file.
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

#define FUSED_DECLARE_KERNEL(kind, SCALARS, STREAMS) void kind(const double*, const Piece*, size_t);
FUSED_STEP_KINDS(FUSED_DECLARE_KERNEL)
#undef FUSED_DECLARE_KERNEL
void lambMoments(const double*, float* const*, size_t, double*);
void lambApply(const double*, float* const*, size_t, double);
double sumSquares(const float*, size_t);
double sumAbs(const float*, size_t);
float maxAbs(const float*, size_t);
void storedStep(StepKernel, const StoredLayout&, const double*, const StoredPiece*, size_t);
void probe(const double*, const Piece*, size_t);
double sumFloat(const float*, size_t);

#define FUSED_STR2(x) #x
#define FUSED_STR(x) FUSED_STR2(x)

const KernelTable& table() {
#define FUSED_KERNEL_ENTRY(kind, SCALARS, STREAMS) kind,
  static const KernelTable t{FUSED_STR(FUSED_NS),
                             {FUSED_STEP_KINDS(FUSED_KERNEL_ENTRY)},
                             lambMoments,
                             lambApply,
                             sumSquares,
                             sumAbs,
                             maxAbs,
                             storedStep,
                             probe,
                             sumFloat};
#undef FUSED_KERNEL_ENTRY
  return t;
}

}  // namespace fused::FUSED_NS
