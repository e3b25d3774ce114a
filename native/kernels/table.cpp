// This ISA's kernel table. Compiled once per ISA with that ISA's flags, like every kernel file.
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

void adam(const AdamScalars&, const AdamSlice&);
double sumSquares(const float*, size_t);
double sumAbs(const float*, size_t);
float maxAbs(const float*, size_t);

#define FUSED_STR2(x) #x
#define FUSED_STR(x) FUSED_STR2(x)

const KernelTable& table() {
  static const KernelTable t{FUSED_STR(FUSED_NS), adam, sumSquares, sumAbs, maxAbs};
  return t;
}

}  // namespace fused::FUSED_NS
