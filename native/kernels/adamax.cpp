// Adamax (torch.optim.Adamax): the infinity-norm variant of Adam.
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

FUSED_FLATTEN void adamax(const double* raw, const Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<adamax_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), wd = V::set1(float(s.weightDecay)),
             omb1 = V::set1(float(s.oneMinusBeta1)), beta2 = V::set1(float(s.beta2)), eps = V::set1(float(s.eps)),
             clr = V::set1(float(s.clr));
  with_flag(s.hasWeightDecay != 0, [&](auto hasWd) {
    for_each_element<4>(pieces, count, 0b1101u, [&](float* const (&a)[4], size_t i) {
      const auto p = V::load(a[0] + i);
      auto g = effective_grad<decltype(hasWd)::value>(a[1] + i, p, gradScale, wd);
      auto m = V::load(a[2] + i);
      m = V::add(m, V::mul(omb1, V::sub(g, m)));
      const auto inf = vmax(V::mul(V::load(a[3] + i), beta2), V::add(V::abs(g), eps));
      V::store(a[2] + i, m);
      V::store(a[3] + i, inf);
      V::store(a[0] + i, V::sub(p, V::mul(clr, V::div(m, inf))));
    });
  });
}

}  // namespace fused::FUSED_NS
