// Adam and AdamW in one pass: param, grad, m, v read; param, m, v written (28 bytes per
// element with float32 state); amsgrad adds one read-write stream. Operation order mirrors
// src/backend/js/adam.ts. Written once for every state format (formats.h).
#include "formats.h"

namespace fused::FUSED_NS {

template <class S>
inline void adam_as(const double* raw, const typename S::Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<adam_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), l2 = V::set1(float(s.l2)),
             paramDecay = V::set1(float(s.paramDecay)), omb1 = V::set1(float(s.oneMinusBeta1)),
             beta2 = V::set1(float(s.beta2)), omb2 = V::set1(float(s.oneMinusBeta2)),
             stepSize = V::set1(float(s.stepSize)), eps = V::set1(float(s.eps));
  const Divisor bc2Sqrt(float(s.bc2Sqrt));
  const int decay = int(s.decay);  // 0 none, 1 L2, 2 decoupled
  with_flag(s.amsgrad != 0, [&](auto amsgrad) {
    with_flag(decay == 1, [&](auto useL2) {
      with_flag(decay == 2, [&](auto decoupled) {
        for_each_piece_as<S>(pieces, count, [&](const auto* streams, size_t n, const auto* ahead) {
          const typename S::Stream ptrs[5] = {streams[0], streams[1], streams[2], streams[3],
                                              amsgrad ? streams[4] : streams[3]};
          const uint32_t written = amsgrad ? 0b11101u : 0b01101u;
          for_each_vector_as<S>(ptrs, written, n, ahead, [&](auto& a, size_t i) {
            auto p = a.load(0, i);
            auto g = V::mul(a.load(1, i), gradScale);
            if constexpr (useL2) g = V::add(g, V::mul(l2, p));
            if constexpr (decoupled) p = V::mul(p, paramDecay);
            auto m = a.load(2, i);
            m = V::add(m, V::mul(omb1, V::sub(g, m)));  // lerp(m, g, 1 - beta1), as torch
            const auto v = V::add(V::mul(a.load(3, i), beta2), V::mul(V::mul(omb2, g), g));
            auto vUsed = v;
            if constexpr (amsgrad) {
              vUsed = vmax(a.load(4, i), v);
              a.store(4, i, vUsed);
            }
            const auto denom = V::add(bc2Sqrt.divide(V::sqrt(vUsed)), eps);
            p = V::sub(p, V::mul(stepSize, V::div(m, denom)));
            a.store(0, i, p);
            a.store(2, i, m);
            a.store(3, i, v);
          });
        });
      });
    });
  });
}

}  // namespace fused::FUSED_NS

FUSED_FORMATS(adam)
