// Small element-wise passes used around the optimizers: Lookahead's slow-weight pull, gradient
// scaling (clipGradNorm), accumulation of micro-batch gradients, value clipping.
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

// slow += alpha · (fast − slow); fast = slow
FUSED_FLATTEN void lookahead(const double* raw, const Piece* pieces, size_t count) {
  const auto alpha = Vec::set1(float(readScalars<lookahead_scalars>(raw).alpha));
  for_each_element<2>(pieces, count, 0b11u, [&](float* const (&a)[2], size_t i) {
    auto slow = Vec::load(a[0] + i);
    slow = Vec::add(slow, Vec::mul(alpha, Vec::sub(Vec::load(a[1] + i), slow)));
    Vec::store(a[0] + i, slow);
    Vec::store(a[1] + i, slow);
  });
}

FUSED_FLATTEN void scale(const double* raw, const Piece* pieces, size_t count) {
  const auto factor = Vec::set1(float(readScalars<scale_scalars>(raw).factor));
  for_each_element<1>(pieces, count, 0b1u, [&](float* const (&a)[1], size_t i) {
    Vec::store(a[0] + i, Vec::mul(Vec::load(a[0] + i), factor));
  });
}

// dst += scale · src
FUSED_FLATTEN void accumulate(const double* raw, const Piece* pieces, size_t count) {
  const auto k = Vec::set1(float(readScalars<accumulate_scalars>(raw).scale));
  for_each_element<2>(pieces, count, 0b01u, [&](float* const (&a)[2], size_t i) {
    Vec::store(a[0] + i, Vec::add(Vec::load(a[0] + i), Vec::mul(k, Vec::load(a[1] + i))));
  });
}

FUSED_FLATTEN void clamp(const double* raw, const Piece* pieces, size_t count) {
  const auto c = Vec::set1(float(readScalars<clamp_scalars>(raw).clipValue));
  for_each_element<1>(pieces, count, 0b1u, [&](float* const (&a)[1], size_t i) {
    Vec::store(a[0] + i, vclamp(Vec::load(a[0] + i), c));
  });
}

// a += b; c += b; d += b: the streaming probe the benchmark measures optimizers against.
FUSED_FLATTEN void probe(const double*, const Piece* pieces, size_t count) {
  for_each_element<4>(pieces, count, 0b1101u, [&](float* const (&a)[4], size_t i) {
    const auto b = Vec::load(a[1] + i);
    Vec::store(a[0] + i, Vec::add(Vec::load(a[0] + i), b));
    Vec::store(a[2] + i, Vec::add(Vec::load(a[2] + i), b));
    Vec::store(a[3] + i, Vec::add(Vec::load(a[3] + i), b));
  });
}

}  // namespace fused::FUSED_NS
