// Lion (Chen et al. 2023, Algorithm 1): the sign of an interpolated momentum, decoupled decay.
#include "formats.h"

namespace fused::FUSED_NS {

template <class S>
inline void lion_as(const double* raw, const typename S::Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<lion_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), paramDecay = V::set1(float(s.paramDecay)),
             lr = V::set1(float(s.lr)), beta1 = V::set1(float(s.beta1)), omb1 = V::set1(float(s.oneMinusBeta1)),
             beta2 = V::set1(float(s.beta2)), omb2 = V::set1(float(s.oneMinusBeta2));
  for_each_element_as<S, 3>(pieces, count, 0b101u, [&](auto& a, size_t i) {
    const auto g = V::mul(a.load(1, i), gradScale);
    const auto m = a.load(2, i);
    const auto c = V::add(V::mul(beta1, m), V::mul(omb1, g));
    const auto p = V::sub(V::mul(a.load(0, i), paramDecay), V::mul(lr, vsign(c)));
    a.store(0, i, p);
    a.store(2, i, V::add(V::mul(beta2, m), V::mul(omb2, g)));
  });
}

}  // namespace fused::FUSED_NS

FUSED_FORMATS(lion)
