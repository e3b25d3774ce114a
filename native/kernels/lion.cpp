// Lion (Chen et al. 2023, Algorithm 1): the sign of an interpolated momentum, decoupled decay.
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

FUSED_FLATTEN void lion(const double* raw, const Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<lion_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), paramDecay = V::set1(float(s.paramDecay)),
             lr = V::set1(float(s.lr)), beta1 = V::set1(float(s.beta1)), omb1 = V::set1(float(s.oneMinusBeta1)),
             beta2 = V::set1(float(s.beta2)), omb2 = V::set1(float(s.oneMinusBeta2));
  for_each_element<3>(pieces, count, 0b101u, [&](float* const (&a)[3], size_t i) {
    const auto g = V::mul(V::load(a[1] + i), gradScale);
    const auto m = V::load(a[2] + i);
    const auto c = V::add(V::mul(beta1, m), V::mul(omb1, g));
    const auto p = V::sub(V::mul(V::load(a[0] + i), paramDecay), V::mul(lr, vsign(c)));
    V::store(a[0] + i, p);
    V::store(a[2] + i, V::add(V::mul(beta2, m), V::mul(omb2, g)));
  });
}

}  // namespace fused::FUSED_NS
