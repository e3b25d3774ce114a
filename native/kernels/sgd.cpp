// SGD with optional momentum, dampening, Nesterov and L2 weight decay (torch.optim.SGD).
// Operation order mirrors src/backend/js/sgd.ts.
#include "formats.h"

namespace fused::FUSED_NS {

template <class S>
inline void sgd_as(const double* raw, const typename S::Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<sgd_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), wd = V::set1(float(s.weightDecay)),
             momentum = V::set1(float(s.momentum)), omd = V::set1(float(s.oneMinusDampening)),
             lr = V::set1(float(s.lr));
  with_flag(s.hasWeightDecay != 0, [&](auto hasWd) {
    with_flag(s.hasMomentum != 0, [&](auto hasMomentum) {
      with_flag(s.firstStep != 0, [&](auto first) {
        with_flag(s.nesterov != 0, [&](auto nesterov) {
          for_each_piece_as<S>(pieces, count, [&](const auto* streams, size_t n, const auto* ahead) {
            const typename S::Stream ptrs[3] = {streams[0], streams[1], hasMomentum ? streams[2] : streams[0]};
            const uint32_t written = hasMomentum ? 0b101u : 0b001u;
            for_each_vector_as<S>(ptrs, written, n, ahead, [&](auto& a, size_t i) {
              auto p = a.load(0, i);
              auto g = scaled_grad<decltype(hasWd)::value>(a.load(1, i), p, gradScale, wd);
              if constexpr (hasMomentum) {
                // The first step starts the buffer at the gradient itself, as torch does.
                const auto buf = first ? g : V::add(V::mul(a.load(2, i), momentum), V::mul(omd, g));
                a.store(2, i, buf);
                g = nesterov ? V::add(g, V::mul(momentum, buf)) : buf;
              }
              a.store(0, i, V::sub(p, V::mul(lr, g)));
            });
          });
        });
      });
    });
  });
}

}  // namespace fused::FUSED_NS

FUSED_FORMATS(sgd)
