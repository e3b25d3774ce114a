// NAdam (torch.optim.NAdam, PyTorch 2.x formula): Nesterov momentum with a decaying μ schedule.
// The μ products and both step sizes are per-step scalars computed on the host side.
#include "formats.h"

namespace fused::FUSED_NS {

template <class S>
inline void nadam_as(const double* raw, const typename S::Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<nadam_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), wd = V::set1(float(s.weightDecay)),
             omb1 = V::set1(float(s.oneMinusBeta1)), beta2 = V::set1(float(s.beta2)),
             omb2 = V::set1(float(s.oneMinusBeta2)), eps = V::set1(float(s.eps)),
             gradStep = V::set1(float(s.gradStep)), avgStep = V::set1(float(s.avgStep));
  const Divisor bc2(float(s.bc2));
  with_flag(s.hasWeightDecay != 0, [&](auto hasWd) {
    for_each_element_as<S, 4>(pieces, count, 0b1101u, [&](auto& a, size_t i) {
      auto p = a.load(0, i);
      auto g = scaled_grad<decltype(hasWd)::value>(a.load(1, i), p, gradScale, wd);
      auto m = a.load(2, i);
      m = V::add(m, V::mul(omb1, V::sub(g, m)));
      const auto v = V::add(V::mul(a.load(3, i), beta2), V::mul(V::mul(omb2, g), g));
      const auto denom = V::add(V::sqrt(bc2.divide(v)), eps);
      p = V::sub(p, V::mul(gradStep, V::div(g, denom)));
      p = V::sub(p, V::mul(avgStep, V::div(m, denom)));
      a.store(0, i, p);
      a.store(2, i, m);
      a.store(3, i, v);
    });
  });
}

}  // namespace fused::FUSED_NS

FUSED_FORMATS(nadam)
