// Adadelta (torch.optim.Adadelta).
#include "formats.h"

namespace fused::FUSED_NS {

template <class S>
inline void adadelta_as(const double* raw, const typename S::Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<adadelta_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), wd = V::set1(float(s.weightDecay)),
             rho = V::set1(float(s.rho)), omr = V::set1(float(s.oneMinusRho)), eps = V::set1(float(s.eps)),
             lr = V::set1(float(s.lr));
  with_flag(s.hasWeightDecay != 0, [&](auto hasWd) {
    for_each_element_as<S, 4>(pieces, count, 0b1101u, [&](auto& a, size_t i) {
      const auto p = a.load(0, i);
      auto g = scaled_grad<decltype(hasWd)::value>(a.load(1, i), p, gradScale, wd);
      const auto sq = V::add(V::mul(a.load(2, i), rho), V::mul(V::mul(omr, g), g));
      const auto denom = V::sqrt(V::add(sq, eps));
      auto acc = a.load(3, i);
      const auto delta = V::mul(V::div(V::sqrt(V::add(acc, eps)), denom), g);
      acc = V::add(V::mul(acc, rho), V::mul(V::mul(omr, delta), delta));
      a.store(2, i, sq);
      a.store(3, i, acc);
      a.store(0, i, V::sub(p, V::mul(lr, delta)));
    });
  });
}

}  // namespace fused::FUSED_NS

FUSED_FORMATS(adadelta)
