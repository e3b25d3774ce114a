// RMSprop (torch.optim.RMSprop), optionally centered and with momentum.
#include "formats.h"

namespace fused::FUSED_NS {

template <class S>
inline void rmsprop_as(const double* raw, const typename S::Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<rmsprop_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), wd = V::set1(float(s.weightDecay)),
             alpha = V::set1(float(s.alpha)), oma = V::set1(float(s.oneMinusAlpha)), eps = V::set1(float(s.eps)),
             lr = V::set1(float(s.lr)), momentum = V::set1(float(s.momentum));
  with_flag(s.hasWeightDecay != 0, [&](auto hasWd) {
    with_flag(s.centered != 0, [&](auto centered) {
      with_flag(s.hasMomentum != 0, [&](auto hasMomentum) {
        // Absent streams alias the square average and are never stored (see `written`).
        for_each_piece_as<S>(pieces, count, [&](const auto* streams, size_t n, const auto* ahead) {
          const typename S::Stream ptrs[5] = {streams[0], streams[1], streams[2], centered ? streams[3] : streams[2],
                                  hasMomentum ? streams[4] : streams[2]};
          const uint32_t written = 0b00101u | (centered ? 0b01000u : 0u) | (hasMomentum ? 0b10000u : 0u);
          for_each_vector_as<S>(ptrs, written, n, ahead, [&](auto& a, size_t i) {
            const auto p = a.load(0, i);
            auto g = scaled_grad<decltype(hasWd)::value>(a.load(1, i), p, gradScale, wd);
            const auto sq = V::add(V::mul(a.load(2, i), alpha), V::mul(V::mul(oma, g), g));
            a.store(2, i, sq);
            auto avg = V::sqrt(sq);
            if constexpr (centered) {
              auto ga = a.load(3, i);
              ga = V::add(ga, V::mul(oma, V::sub(g, ga)));
              a.store(3, i, ga);
              avg = V::sqrt(V::sub(sq, V::mul(ga, ga)));
            }
            avg = V::add(avg, eps);
            if constexpr (hasMomentum) {
              const auto buf = V::add(V::mul(a.load(4, i), momentum), V::div(g, avg));
              a.store(4, i, buf);
              a.store(0, i, V::sub(p, V::mul(lr, buf)));
            } else {
              a.store(0, i, V::sub(p, V::mul(lr, V::div(g, avg))));
            }
          });
        });
      });
    });
  });
}

}  // namespace fused::FUSED_NS

FUSED_FORMATS(rmsprop)
