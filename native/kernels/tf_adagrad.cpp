// tf.train.adagrad (tfjs-core's AdagradOptimizer): epsilon inside the square root.
// Operation order mirrors src/backend/js/tf-adagrad.ts.
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

FUSED_FLATTEN void tf_adagrad(const double* raw, const Piece* pieces, size_t count) {
  using V = Vec;
  const auto s = readScalars<tf_adagrad_scalars>(raw);
  const auto gradScale = V::set1(float(s.gradScale)), eps = V::set1(float(s.eps)), lr = V::set1(float(s.lr));
  for_each_element<3>(pieces, count, 0b101u, [&](float* const (&a)[3], size_t i) {
    const auto g = V::mul(V::load(a[1] + i), gradScale);
    const auto acc = V::add(V::load(a[2] + i), V::mul(g, g));
    const auto update = V::mul(V::div(g, V::sqrt(V::add(acc, eps))), lr);
    V::store(a[0] + i, V::sub(V::load(a[0] + i), update));
    V::store(a[2] + i, acc);
  });
}

}  // namespace fused::FUSED_NS
