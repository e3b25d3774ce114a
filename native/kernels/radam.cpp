// RAdam (torch.optim.RAdam): Adam with the variance rectification term; while ρ_t <= 5 the
// update is un-adapted momentum SGD (`rectified` is 0).
#include "formats.h"

namespace fused::FUSED_NS {

template <class S>
inline void radam_as(const double* raw, const typename S::Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<radam_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), wd = V::set1(float(s.weightDecay)),
             omb1 = V::set1(float(s.oneMinusBeta1)), beta2 = V::set1(float(s.beta2)),
             omb2 = V::set1(float(s.oneMinusBeta2)),
             bc2Sqrt = V::set1(float(s.bc2Sqrt)), eps = V::set1(float(s.eps)), lr = V::set1(float(s.lr)),
             rect = V::set1(float(s.rect));
  const Divisor bc1(float(s.bc1));
  with_flag(s.hasWeightDecay != 0, [&](auto hasWd) {
    with_flag(s.rectified != 0, [&](auto rectified) {
      for_each_element_as<S, 4>(pieces, count, 0b1101u, [&](auto& a, size_t i) {
        const auto p = a.load(0, i);
        auto g = scaled_grad<decltype(hasWd)::value>(a.load(1, i), p, gradScale, wd);
        auto m = a.load(2, i);
        m = V::add(m, V::mul(omb1, V::sub(g, m)));
        const auto v = V::add(V::mul(a.load(3, i), beta2), V::mul(V::mul(omb2, g), g));
        auto update = V::mul(bc1.divide(m), lr);
        if constexpr (rectified) {
          const auto adaptive = V::div(bc2Sqrt, V::add(V::sqrt(v), eps));
          update = V::mul(V::mul(update, adaptive), rect);
        }
        a.store(0, i, V::sub(p, update));
        a.store(2, i, m);
        a.store(3, i, v);
      });
    });
  });
}

}  // namespace fused::FUSED_NS

FUSED_FORMATS(radam)
