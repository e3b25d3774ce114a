// tf.train.adadelta (tfjs-core's AdadeltaOptimizer). Its update divides by the root of the
// squared-gradient average from before this step (TF.js reads the old accumulator), so this
// kernel does too. Operation order mirrors src/backend/js/tf-adadelta.ts.
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

FUSED_FLATTEN void tf_adadelta(const double* raw, const Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<tf_adadelta_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), rho = V::set1(float(s.rho)),
             omr = V::set1(float(s.oneMinusRho)), eps = V::set1(float(s.eps)), lr = V::set1(float(s.lr));
  for_each_element<4>(pieces, count, 0b1101u, [&](float* const (&a)[4], size_t i) {
    const auto g = V::mul(V::load(a[1] + i), gradScale);
    const auto ag = V::load(a[2] + i), au = V::load(a[3] + i);
    const auto newAg = V::add(V::mul(ag, rho), V::mul(V::mul(g, g), omr));
    const auto update = V::mul(V::div(V::sqrt(V::add(au, eps)), V::sqrt(V::add(ag, eps))), g);
    const auto newAu = V::add(V::mul(au, rho), V::mul(V::mul(update, update), omr));
    V::store(a[0] + i, V::sub(V::load(a[0] + i), V::mul(update, lr)));
    V::store(a[2] + i, newAg);
    V::store(a[3] + i, newAu);
  });
}

}  // namespace fused::FUSED_NS
