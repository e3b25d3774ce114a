// Adam and AdamW in one pass: 4 streams read (param, grad, m, v), 3 written; amsgrad adds one
// read-write stream. Operation order mirrors src/backend/js/adam.ts exactly.
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

template <WeightDecay Decay, bool Amsgrad>
static void adam_slice(const AdamScalars& s, const AdamSlice& t) {
  using V = Vec;
  const auto gradScale = V::set1(float(s.gradScale)), l2 = V::set1(float(s.l2)),
             paramDecay = V::set1(float(s.paramDecay)), omb1 = V::set1(float(s.oneMinusBeta1)),
             beta2 = V::set1(float(s.beta2)), omb2 = V::set1(float(s.oneMinusBeta2)),
             stepSize = V::set1(float(s.stepSize)), bc2Sqrt = V::set1(float(s.bc2Sqrt)),
             eps = V::set1(float(s.eps));
  float* const ptrs[5] = {t.param, const_cast<float*>(t.grad), t.expAvg, t.expAvgSq,
                          Amsgrad ? t.maxExpAvgSq : t.expAvgSq};
  const uint32_t written = Amsgrad ? 0b11101u : 0b01101u;  // never store grads
  for_each_vector(ptrs, written, t.n, [&](float* const (&a)[5], size_t i) {
    auto p = V::load(a[0] + i);
    auto g = V::mul(V::load(a[1] + i), gradScale);
    if constexpr (Decay == WeightDecay::L2) g = V::add(g, V::mul(l2, p));
    if constexpr (Decay == WeightDecay::Decoupled) p = V::mul(p, paramDecay);
    auto m = V::load(a[2] + i);
    m = V::add(m, V::mul(omb1, V::sub(g, m)));  // lerp(m, g, 1 - beta1), as torch
    auto v = V::add(V::mul(V::load(a[3] + i), beta2), V::mul(V::mul(omb2, g), g));
    auto vUsed = v;
    if constexpr (Amsgrad) {
      vUsed = V::max(V::load(a[4] + i), v);
      V::store(a[4] + i, vUsed);
    }
    const auto denom = V::add(V::div(V::sqrt(vUsed), bc2Sqrt), eps);
    p = V::sub(p, V::mul(stepSize, V::div(m, denom)));
    V::store(a[0] + i, p);
    V::store(a[2] + i, m);
    V::store(a[3] + i, v);
  });
}

template <bool Amsgrad>
static void adam_decay(const AdamScalars& s, const AdamSlice& t) {
  switch (s.decay) {
    case WeightDecay::None: return adam_slice<WeightDecay::None, Amsgrad>(s, t);
    case WeightDecay::L2: return adam_slice<WeightDecay::L2, Amsgrad>(s, t);
    case WeightDecay::Decoupled: return adam_slice<WeightDecay::Decoupled, Amsgrad>(s, t);
  }
}

void adam(const AdamScalars& s, const AdamSlice& t) {
  if (s.amsgrad) adam_decay<true>(s, t);
  else adam_decay<false>(s, t);
}

}  // namespace fused::FUSED_NS
