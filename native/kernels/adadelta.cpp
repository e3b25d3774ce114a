// Adadelta (torch.optim.Adadelta).
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

FUSED_FLATTEN void adadelta(const double* raw, const Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<adadelta_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), wd = V::set1(float(s.weightDecay)),
             rho = V::set1(float(s.rho)), omr = V::set1(float(s.oneMinusRho)), eps = V::set1(float(s.eps)),
             lr = V::set1(float(s.lr));
  with_flag(s.hasWeightDecay != 0, [&](auto hasWd) {
    for_each_element<4>(pieces, count, 0b1101u, [&](float* const (&a)[4], size_t i) {
      const auto p = V::load(a[0] + i);
      auto g = effective_grad<decltype(hasWd)::value>(a[1] + i, p, gradScale, wd);
      const auto sq = V::add(V::mul(V::load(a[2] + i), rho), V::mul(V::mul(omr, g), g));
      const auto denom = V::sqrt(V::add(sq, eps));
      auto acc = V::load(a[3] + i);
      const auto delta = V::mul(V::div(V::sqrt(V::add(acc, eps)), denom), g);
      acc = V::add(V::mul(acc, rho), V::mul(V::mul(omr, delta), delta));
      V::store(a[2] + i, sq);
      V::store(a[3] + i, acc);
      V::store(a[0] + i, V::sub(p, V::mul(lr, delta)));
    });
  });
}

}  // namespace fused::FUSED_NS
