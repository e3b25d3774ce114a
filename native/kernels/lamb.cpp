// LAMB (You et al. 2019, Algorithm 2) in two passes: the trust ratio ||param|| / ||update|| of
// a tensor is known only after its whole update has been seen. Pass 2 recomputes the update
// from the new moments instead of storing it: the same memory traffic, no scratch buffer.
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

namespace {
struct LambUpdate {
  Vec::T omb1, beta2, omb2;
  Divisor bc1, bc2;
  Vec::T eps, wd;
  explicit LambUpdate(const lamb_scalars& s)
      : omb1(Vec::set1(float(s.oneMinusBeta1))), beta2(Vec::set1(float(s.beta2))),
        omb2(Vec::set1(float(s.oneMinusBeta2))), bc1(float(s.bc1)), bc2(float(s.bc2)),
        eps(Vec::set1(float(s.eps))), wd(Vec::set1(float(s.weightDecay))) {}
  // (m / bc1) / (sqrt(v / bc2) + eps) [+ wd * p]
  template <bool HasWd>
  Vec::T operator()(Vec::T p, Vec::T m, Vec::T v) const {
    auto u = Vec::div(bc1.divide(m), Vec::add(Vec::sqrt(bc2.divide(v)), eps));
    if constexpr (HasWd) u = Vec::add(u, Vec::mul(wd, p));
    return u;
  }
};
}  // namespace

void lambMoments(const double* raw, float* const* streams, size_t n, double* sums) {
  using V = Vec;
  const auto s = readScalars<lamb_scalars>(raw);
  const LambUpdate update(s);
  const auto gradScale = V::set1(float(s.gradScale));
  Acc paramSq, updateSq;
  with_flag(s.hasWeightDecay != 0, [&](auto hasWd) {
    float* const ptrs[4] = {streams[0], streams[1], streams[2], streams[3]};
    for_each_vector(ptrs, 0b1100u, n, [&](float* const (&a)[4], size_t i) {
      const auto p = V::load(a[0] + i);
      const auto g = V::mul(V::load(a[1] + i), gradScale);
      auto m = V::load(a[2] + i);
      m = V::add(m, V::mul(update.omb1, V::sub(g, m)));
      const auto v = V::add(V::mul(V::load(a[3] + i), update.beta2), V::mul(V::mul(update.omb2, g), g));
      V::store(a[2] + i, m);
      V::store(a[3] + i, v);
      paramSq.add_squares(p);
      // zero-padded tail lanes give u = 0 / (0 + eps) = 0: they add nothing
      updateSq.add_squares(update.template operator()<hasWd>(p, m, v));
    });
  });
  sums[0] += paramSq.sum();
  sums[1] += updateSq.sum();
}

void lambApply(const double* raw, float* const* streams, size_t n, double lrTrust) {
  using V = Vec;
  const auto s = readScalars<lamb_scalars>(raw);
  const LambUpdate update(s);
  const auto step = V::set1(float(lrTrust));
  with_flag(s.hasWeightDecay != 0, [&](auto hasWd) {
    float* const ptrs[3] = {streams[0], streams[2], streams[3]};
    for_each_vector(ptrs, 0b001u, n, [&](float* const (&a)[3], size_t i) {
      const auto p = V::load(a[0] + i);
      const auto u = update.template operator()<hasWd>(p, V::load(a[1] + i), V::load(a[2] + i));
      V::store(a[0] + i, V::sub(p, V::mul(step, u)));
    });
  });
}

}  // namespace fused::FUSED_NS
