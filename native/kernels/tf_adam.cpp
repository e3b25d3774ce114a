// tf.train.adam (tfjs-core's AdamOptimizer): bias corrections divide the moments, epsilon is
// added to the corrected root, and 1 - beta^t comes from the caller's float32 running products.
// Operation order mirrors src/backend/js/tf-adam.ts.
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

FUSED_FLATTEN void tf_adam(const double* raw, const Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<tf_adam_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), beta1 = V::set1(float(s.beta1)),
             omb1 = V::set1(float(s.oneMinusBeta1)), beta2 = V::set1(float(s.beta2)),
             omb2 = V::set1(float(s.oneMinusBeta2)), eps = V::set1(float(s.eps)), lr = V::set1(float(s.lr));
  const Divisor omab1(float(s.oneMinusAccBeta1)), omab2(float(s.oneMinusAccBeta2));
  for_each_element<4>(pieces, count, 0b1101u, [&](float* const (&a)[4], size_t i) {
    const auto g = V::mul(V::load(a[1] + i), gradScale);
    const auto m = V::add(V::mul(V::load(a[2] + i), beta1), V::mul(g, omb1));
    const auto v = V::add(V::mul(V::load(a[3] + i), beta2), V::mul(V::mul(g, g), omb2));
    const auto mHat = omab1.divide(m), vHat = omab2.divide(v);
    const auto update = V::mul(V::div(mHat, V::add(V::sqrt(vHat), eps)), lr);
    V::store(a[0] + i, V::sub(V::load(a[0] + i), update));
    V::store(a[2] + i, m);
    V::store(a[3] + i, v);
  });
}

}  // namespace fused::FUSED_NS
