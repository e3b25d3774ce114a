// Adagrad (torch.optim.Adagrad): sum += g², param -= clr · g / (√sum + eps).
#include "formats.h"

namespace fused::FUSED_NS {

template <class S>
inline void adagrad_as(const double* raw, const typename S::Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<adagrad_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), wd = V::set1(float(s.weightDecay)),
             clr = V::set1(float(s.clr)), eps = V::set1(float(s.eps));
  with_flag(s.hasWeightDecay != 0, [&](auto hasWd) {
    for_each_element_as<S, 3>(pieces, count, 0b101u, [&](auto& a, size_t i) {
      const auto p = a.load(0, i);
      auto g = scaled_grad<decltype(hasWd)::value>(a.load(1, i), p, gradScale, wd);
      const auto sum = V::add(a.load(2, i), V::mul(g, g));
      const auto denom = V::add(V::sqrt(sum), eps);
      a.store(2, i, sum);
      a.store(0, i, V::sub(p, V::mul(clr, V::div(g, denom))));
    });
  });
}

}  // namespace fused::FUSED_NS

FUSED_FORMATS(adagrad)
