// NAdam (torch.optim.NAdam, PyTorch 2.x formula): Nesterov momentum with a decaying μ schedule.
// The μ products and both step sizes are per-step scalars computed on the host side.
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

FUSED_FLATTEN void nadam(const double* raw, const Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<nadam_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), wd = V::set1(float(s.weightDecay)),
             omb1 = V::set1(float(s.oneMinusBeta1)), beta2 = V::set1(float(s.beta2)),
             omb2 = V::set1(float(s.oneMinusBeta2)), bc2 = V::set1(float(s.bc2)), eps = V::set1(float(s.eps)),
             gradStep = V::set1(float(s.gradStep)), avgStep = V::set1(float(s.avgStep));
  with_flag(s.hasWeightDecay != 0, [&](auto hasWd) {
    for_each_element<4>(pieces, count, 0b1101u, [&](float* const (&a)[4], size_t i) {
      auto p = V::load(a[0] + i);
      auto g = effective_grad<decltype(hasWd)::value>(a[1] + i, p, gradScale, wd);
      auto m = V::load(a[2] + i);
      m = V::add(m, V::mul(omb1, V::sub(g, m)));
      const auto v = V::add(V::mul(V::load(a[3] + i), beta2), V::mul(V::mul(omb2, g), g));
      const auto denom = V::add(V::sqrt(V::div(v, bc2)), eps);
      p = V::sub(p, V::mul(gradStep, V::div(g, denom)));
      p = V::sub(p, V::mul(avgStep, V::div(m, denom)));
      V::store(a[0] + i, p);
      V::store(a[2] + i, m);
      V::store(a[3] + i, v);
    });
  });
}

}  // namespace fused::FUSED_NS
