// RMSprop (torch.optim.RMSprop), optionally centered and with momentum.
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

FUSED_FLATTEN void rmsprop(const double* raw, const Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<rmsprop_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), wd = V::set1(float(s.weightDecay)),
             alpha = V::set1(float(s.alpha)), oma = V::set1(float(s.oneMinusAlpha)), eps = V::set1(float(s.eps)),
             lr = V::set1(float(s.lr)), momentum = V::set1(float(s.momentum));
  with_flag(s.hasWeightDecay != 0, [&](auto hasWd) {
    with_flag(s.centered != 0, [&](auto centered) {
      with_flag(s.hasMomentum != 0, [&](auto hasMomentum) {
        // Absent streams alias the square average and are never stored (see `written`).
        for_each_piece(pieces, count, [&](float* const* streams, size_t n, const Ahead* ahead) {
          float* const ptrs[5] = {streams[0], streams[1], streams[2], centered ? streams[3] : streams[2],
                                  hasMomentum ? streams[4] : streams[2]};
          const uint32_t written = 0b00101u | (centered ? 0b01000u : 0u) | (hasMomentum ? 0b10000u : 0u);
          for_each_vector(ptrs, written, n, ahead, [&](float* const (&a)[5], size_t i) {
            const auto p = V::load(a[0] + i);
            auto g = effective_grad<decltype(hasWd)::value>(a[1] + i, p, gradScale, wd);
            const auto sq = V::add(V::mul(V::load(a[2] + i), alpha), V::mul(V::mul(oma, g), g));
            V::store(a[2] + i, sq);
            auto avg = V::sqrt(sq);
            if constexpr (centered) {
              auto ga = V::load(a[3] + i);
              ga = V::add(ga, V::mul(oma, V::sub(g, ga)));
              V::store(a[3] + i, ga);
              avg = V::sqrt(V::sub(sq, V::mul(ga, ga)));
            }
            avg = V::add(avg, eps);
            if constexpr (hasMomentum) {
              const auto buf = V::add(V::mul(V::load(a[4] + i), momentum), V::div(g, avg));
              V::store(a[4] + i, buf);
              V::store(a[0] + i, V::sub(p, V::mul(lr, buf)));
            } else {
              V::store(a[0] + i, V::sub(p, V::mul(lr, V::div(g, avg))));
            }
          });
        });
      });
    });
  });
}

}  // namespace fused::FUSED_NS
