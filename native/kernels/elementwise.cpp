// Small element-wise passes used around the optimizers: Lookahead's slow-weight pull, gradient
// scaling (clipGradNorm), accumulation of micro-batch gradients, value clipping.
#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

// slow += alpha · (fast − slow); fast = slow
void lookahead(const double* raw, float* const* streams, size_t n, const Ahead* ahead) {
  const auto alpha = Vec::set1(float(readScalars<lookahead_scalars>(raw).alpha));
  float* const ptrs[2] = {streams[0], streams[1]};
  for_each_vector(ptrs, 0b11u, n, ahead, [&](float* const (&a)[2], size_t i) {
    auto slow = Vec::load(a[0] + i);
    slow = Vec::add(slow, Vec::mul(alpha, Vec::sub(Vec::load(a[1] + i), slow)));
    Vec::store(a[0] + i, slow);
    Vec::store(a[1] + i, slow);
  });
}

void scale(const double* raw, float* const* streams, size_t n, const Ahead* ahead) {
  const auto factor = Vec::set1(float(readScalars<scale_scalars>(raw).factor));
  float* const ptrs[1] = {streams[0]};
  for_each_vector(ptrs, 0b1u, n, ahead, [&](float* const (&a)[1], size_t i) {
    Vec::store(a[0] + i, Vec::mul(Vec::load(a[0] + i), factor));
  });
}

// dst += scale · src
void accumulate(const double* raw, float* const* streams, size_t n, const Ahead* ahead) {
  const auto k = Vec::set1(float(readScalars<accumulate_scalars>(raw).scale));
  float* const ptrs[2] = {streams[0], streams[1]};
  for_each_vector(ptrs, 0b01u, n, ahead, [&](float* const (&a)[2], size_t i) {
    Vec::store(a[0] + i, Vec::add(Vec::load(a[0] + i), Vec::mul(k, Vec::load(a[1] + i))));
  });
}

void clamp(const double* raw, float* const* streams, size_t n, const Ahead* ahead) {
  const auto c = Vec::set1(float(readScalars<clamp_scalars>(raw).clipValue));
  float* const ptrs[1] = {streams[0]};
  for_each_vector(ptrs, 0b1u, n, ahead, [&](float* const (&a)[1], size_t i) {
    Vec::store(a[0] + i, vclamp(Vec::load(a[0] + i), c));
  });
}

// a += b; c += b; d += b: the streaming probe the benchmark measures optimizers against.
void probe(const double*, float* const* streams, size_t n, const Ahead* ahead) {
  float* const ptrs[4] = {streams[0], streams[1], streams[2], streams[3]};
  for_each_vector(ptrs, 0b1101u, n, ahead, [&](float* const (&a)[4], size_t i) {
    const auto b = Vec::load(a[1] + i);
    Vec::store(a[0] + i, Vec::add(Vec::load(a[0] + i), b));
    Vec::store(a[2] + i, Vec::add(Vec::load(a[2] + i), b));
    Vec::store(a[3] + i, Vec::add(Vec::load(a[3] + i), b));
  });
}

}  // namespace fused::FUSED_NS
