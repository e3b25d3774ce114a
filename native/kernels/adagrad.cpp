// Adagrad (torch.optim.Adagrad): sum += g², param -= clr · g / (√sum + eps).
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

FUSED_FLATTEN void adagrad(const double* raw, const Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<adagrad_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), wd = V::set1(float(s.weightDecay)),
             clr = V::set1(float(s.clr)), eps = V::set1(float(s.eps));
  with_flag(s.hasWeightDecay != 0, [&](auto hasWd) {
    for_each_element<3>(pieces, count, 0b101u, [&](float* const (&a)[3], size_t i) {
      const auto p = V::load(a[0] + i);
      auto g = effective_grad<decltype(hasWd)::value>(a[1] + i, p, gradScale, wd);
      const auto sum = V::add(V::load(a[2] + i), V::mul(g, g));
      const auto denom = V::add(V::sqrt(sum), eps);
      V::store(a[2] + i, sum);
      V::store(a[0] + i, V::sub(p, V::mul(clr, V::div(g, denom))));
    });
  });
}

}  // namespace fused::FUSED_NS
