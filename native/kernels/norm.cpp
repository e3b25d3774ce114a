// Reductions for gradient norms. Sums are accumulated in double: a float32 square cannot
// overflow or underflow a double, so no scaling pass is needed for the 1- and 2-norms.
#include <limits>

#include "kernels.h"
#include "simd.h"

namespace fused::FUSED_NS {

template <class AddFn>
static double accumulate(const float* x, size_t n, AddFn add) {
  // Two independent accumulators: one chain of double adds would bound the loop by add latency
  // rather than by memory bandwidth.
  constexpr size_t W = Vec::width;
  Acc even, odd;
  size_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    add(even, Vec::load(x + i));
    add(odd, Vec::load(x + i + W));
  }
  float* const ptrs[1] = {const_cast<float*>(x + i)};
  for_each_vector(ptrs, 0u, n - i, [&](float* const (&a)[1], size_t j) { add(even, Vec::load(a[0] + j)); });
  return even.sum() + odd.sum();  // zero padding of the tail adds nothing
}

double sumSquares(const float* x, size_t n) {
  return accumulate(x, n, [](Acc& acc, Vec::T v) { acc.add_squares(v); });
}

double sumAbs(const float* x, size_t n) {
  return accumulate(x, n, [](Acc& acc, Vec::T v) { acc.add_values(Vec::abs(v)); });
}

// The read-only bandwidth probe: a plain float sum, the least work a reduction can do.
double sumFloat(const float* x, size_t n) {
  auto acc = Vec::set1(0.0f);
  float* const ptrs[1] = {const_cast<float*>(x)};
  for_each_vector(ptrs, 0u, n, [&](float* const (&a)[1], size_t i) { acc = Vec::add(acc, Vec::load(a[0] + i)); });
  alignas(64) float lanes[Vec::width];
  Vec::store(lanes, acc);
  double sum = 0.0;
  for (size_t k = 0; k < Vec::width; ++k) sum += lanes[k];
  return sum;
}

float maxAbs(const float* x, size_t n) {
  // max() drops NaN on some ISAs, so NaNs are counted on the side: the infinity norm of a
  // tensor holding NaN is NaN, as in PyTorch
  auto best = Vec::set1(0.0f), nans = Vec::set1(0.0f);
  float* const ptrs[1] = {const_cast<float*>(x)};
  for_each_vector(ptrs, 0u, n, [&](float* const (&a)[1], size_t i) {
    const auto v = Vec::abs(Vec::load(a[0] + i));
    best = vmax(best, v);
    nans = Vec::add(nans, Vec::nan_lanes(v));
  });
  alignas(64) float lanes[Vec::width], nanLanes[Vec::width];
  Vec::store(lanes, best);
  Vec::store(nanLanes, nans);
  float result = 0.0f;
  for (size_t k = 0; k < Vec::width; ++k) {
    if (nanLanes[k] != 0.0f) return std::numeric_limits<float>::quiet_NaN();
    result = lanes[k] > result ? lanes[k] : result;
  }
  return result;
}

}  // namespace fused::FUSED_NS
