// Adamax (torch.optim.Adamax): the infinity-norm variant of Adam.
#include "formats.h"

namespace fused::FUSED_NS {

template <class S>
inline void adamax_as(const double* raw, const typename S::Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<adamax_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), wd = V::set1(float(s.weightDecay)),
             omb1 = V::set1(float(s.oneMinusBeta1)), beta2 = V::set1(float(s.beta2)), eps = V::set1(float(s.eps)),
             clr = V::set1(float(s.clr));
  with_flag(s.hasWeightDecay != 0, [&](auto hasWd) {
    for_each_element_as<S, 4>(pieces, count, 0b1101u, [&](auto& a, size_t i) {
      const auto p = a.load(0, i);
      auto g = scaled_grad<decltype(hasWd)::value>(a.load(1, i), p, gradScale, wd);
      auto m = a.load(2, i);
      m = V::add(m, V::mul(omb1, V::sub(g, m)));
      const auto inf = vmax(V::mul(a.load(3, i), beta2), V::add(V::abs(g), eps));
      a.store(2, i, m);
      a.store(3, i, inf);
      a.store(0, i, V::sub(p, V::mul(clr, V::div(m, inf))));
    });
  });
}

}  // namespace fused::FUSED_NS

FUSED_FORMATS(adamax)
