// tf.train.rmsprop (tfjs-core's RMSPropOptimizer): epsilon inside the square root, lr inside
// the momentum buffer (always kept, even at momentum 0), and the centered form
// sqrt(ms - (mg² + eps)). TF.js calls the average's decay `decay`; it is `alpha` here, as for
// torch's RMSprop (the addon reserves `decay` for the Adam family). Operation order mirrors
// src/backend/js/tf-rmsprop.ts.
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

FUSED_FLATTEN void tf_rmsprop(const double* raw, const Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<tf_rmsprop_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), alpha = V::set1(float(s.alpha)),
             oma = V::set1(float(s.oneMinusAlpha)), momentum = V::set1(float(s.momentum)),
             eps = V::set1(float(s.eps)), lr = V::set1(float(s.lr));
  with_flag(s.centered != 0, [&](auto centered) {
    // Without centering the mean-gradient stream is absent: it aliases ms and is never stored.
    for_each_piece(pieces, count, [&](float* const* streams, size_t n, const Ahead* ahead) {
      float* const ptrs[5] = {streams[0], streams[1], streams[2], streams[3], centered ? streams[4] : streams[2]};
      const uint32_t written = centered ? 0b11101u : 0b01101u;
      for_each_vector(ptrs, written, n, ahead, [&](float* const (&a)[5], size_t i) {
        const auto g = V::mul(V::load(a[1] + i), gradScale);
        const auto ms = V::add(V::mul(V::load(a[2] + i), alpha), V::mul(V::mul(g, g), oma));
        auto denom = V::add(ms, eps);
        if constexpr (centered) {
          const auto mg = V::add(V::mul(V::load(a[4] + i), alpha), V::mul(g, oma));
          V::store(a[4] + i, mg);
          denom = V::sub(ms, V::add(V::mul(mg, mg), eps));
        }
        const auto mom = V::add(V::mul(V::load(a[3] + i), momentum), V::div(V::mul(g, lr), V::sqrt(denom)));
        V::store(a[0] + i, V::sub(V::load(a[0] + i), mom));
        V::store(a[2] + i, ms);
        V::store(a[3] + i, mom);
      });
    });
  });
}

}  // namespace fused::FUSED_NS
