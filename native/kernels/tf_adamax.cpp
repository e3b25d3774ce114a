// tf.train.adamax (tfjs-core's AdamaxOptimizer): epsilon added outside the maximum; the step
// size lr / (1 + decay * iterations) / (1 - beta1^t) arrives as one scalar computed the way
// TF.js computes it. Operation order mirrors src/backend/js/tf-adamax.ts.
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

FUSED_FLATTEN void tf_adamax(const double* raw, const Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<tf_adamax_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), beta1 = V::set1(float(s.beta1)),
             omb1 = V::set1(float(s.oneMinusBeta1)), beta2 = V::set1(float(s.beta2)), eps = V::set1(float(s.eps)),
             stepSize = V::set1(float(s.stepSize));
  for_each_element<4>(pieces, count, 0b1101u, [&](float* const (&a)[4], size_t i) {
    const auto g = V::mul(V::load(a[1] + i), gradScale);
    const auto m = V::add(V::mul(V::load(a[2] + i), beta1), V::mul(g, omb1));
    const auto u = vmax(V::mul(V::load(a[3] + i), beta2), V::abs(g));
    const auto update = V::mul(stepSize, V::div(m, V::add(u, eps)));
    V::store(a[0] + i, V::sub(V::load(a[0] + i), update));
    V::store(a[2] + i, m);
    V::store(a[3] + i, u);
  });
}

}  // namespace fused::FUSED_NS
