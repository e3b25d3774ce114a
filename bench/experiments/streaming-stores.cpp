// Experiment behind the choice of regular stores (README, issue 5): a 4-read/3-write stream over
// 1M and 16M floats on 2 threads, regular vs non-temporal AVX-512 stores.
// Build and run: g++ -O2 -mavx512f -pthread bench/experiments/streaming-stores.cpp -o /tmp/nt && /tmp/nt
#include <immintrin.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>
template <bool NT>
void kernel(float* a, const float* b, float* c, float* d, size_t n) {
  for (size_t i = 0; i < n; i += 16) {
    __m512 vb = _mm512_load_ps(b + i);
    __m512 va = _mm512_add_ps(_mm512_load_ps(a + i), vb), vc = _mm512_add_ps(_mm512_load_ps(c + i), vb), vd = _mm512_add_ps(_mm512_load_ps(d + i), vb);
    if (NT) { _mm512_stream_ps(a + i, va); _mm512_stream_ps(c + i, vc); _mm512_stream_ps(d + i, vd); }
    else { _mm512_store_ps(a + i, va); _mm512_store_ps(c + i, vc); _mm512_store_ps(d + i, vd); }
  }
  if (NT) _mm_sfence();
}
template <bool NT> double run(float** arr, size_t n, int threads, int reps) {
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) {
    std::vector<std::thread> ts;
    size_t chunk = n / threads;
    for (int t = 0; t < threads; ++t) ts.emplace_back([&, t] { size_t o = t * chunk; kernel<NT>(arr[0] + o, arr[1] + o, arr[2] + o, arr[3] + o, chunk); });
    for (auto& th : ts) th.join();
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
  return n / s / 1e6;
}
int main() {
  for (size_t n : {size_t(1) << 20, size_t(1) << 24}) {
    float* arr[4];
    for (auto& a : arr) { a = (float*)aligned_alloc(64, n * 4); for (size_t i = 0; i < n; ++i) a[i] = 1e-3f; }
    for (int rep = 0; rep < 3; ++rep)
      printf("n=%zu regular %.0f Melem/s  streaming %.0f Melem/s\n", n, run<false>(arr, n, 2, n > (1<<20) ? 20 : 200), run<true>(arr, n, 2, n > (1<<20) ? 20 : 200));
  }
}
