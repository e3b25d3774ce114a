// What AdamW can reach on this CPU, by where its data lives: the float32 kernel, the
// stored-state step (bfloat16, int8) and the no-math probe (Adam's memory shape) over arrays
// sized for L1, L2, L3 and DRAM, on 1 and 2 threads (each thread its own arrays, as the pool's
// parts). Melem/s of thread CPU time (CLOCK_THREAD_CPUTIME_ID: time the thread ran, so other
// jobs on a loaded machine do not count; memory stalls do), best of 5. Build and run (AVX-512 build of the kernels):
//   g++ -O3 -std=c++17 -mavx512f -mavx2 -mfma -ffp-contract=off -fno-math-errno -pthread \
//       -DFUSED_ISA_AVX512 -Inative/kernels bench/experiments/ceiling.cpp \
//       native/kernels/{sgd,adagrad,rmsprop,adadelta,adamax,nadam,radam,lion}.cpp -o /tmp/ceiling && /tmp/ceiling
// (-DFUSED_ISA_AVX2 -mavx2 -mfma for the AVX2 build; -DFUSED_ISA_AVX512BF16 -mavx512f -mavx512bw
// -mavx512dq -mavx512vl -mavx512bf16 -mavx2 -mfma for the avx512bf16 tier.)
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "adam.cpp"
#include "elementwise.cpp"
#include "lowmem.cpp"
#include "state_codec.cpp"

using namespace fused;
using namespace fused::FUSED_NS;

namespace {

struct Arrays {
  std::vector<float> p, g, m, v;
  std::vector<uint16_t> mw, vw;
  std::vector<uint8_t> mc, vc;
  std::vector<float> ma, va;
  explicit Arrays(size_t n)
      : p(n, 0.5f), g(n), m(n, 0.01f), v(n, 1e-4f), mw(n, 0x3c23), vw(n, 0x38d1), mc(n, 0x40), vc(n, 0x40),
        ma(n / 256 + 1, 0.01f), va(n / 256 + 1, 1e-4f) {
    for (size_t i = 0; i < n; ++i) g[i] = 1e-2f * float((i * 2654435761u) % 1000) / 1000.0f - 5.005e-3f;
  }
};

adam_scalars adamScalars() {
  adam_scalars s{};
  s.gradScale = 1, s.l2 = 0, s.paramDecay = 1 - 1e-6, s.oneMinusBeta1 = 0.1, s.beta2 = 0.999, s.oneMinusBeta2 = 0.001;
  s.stepSize = 1e-4, s.bc2Sqrt = 0.5, s.eps = 1e-8, s.decay = 2, s.amsgrad = 0;
  return s;
}

enum class What { f32, probe, bf16, int8 };

void run(What what, Arrays& a, size_t n) {
  const auto s = adamScalars();
  const double* raw = reinterpret_cast<const double*>(&s);
  constexpr size_t kPart = 32768;  // the pool's unit: one kernel call per part
  for (size_t at = 0; at < n; at += kPart) {
    const size_t len = n - at < kPart ? n - at : kPart;
    if (what == What::f32 || what == What::probe) {
      Piece piece{{a.p.data() + at, a.g.data() + at, a.m.data() + at, a.v.data() + at, nullptr}, len};
      (what == What::f32 ? adam : probe)(raw, &piece, 1);
    } else {
      StoredLayout layout{what == What::int8 ? StateFormat::int8 : StateFormat::bf16, 2048, 1u << 3};
      StoredPiece piece{};
      piece.streams[0] = a.p.data() + at, piece.streams[1] = a.g.data() + at;
      if (what == What::int8) {
        piece.streams[2] = a.mc.data() + at, piece.streams[3] = a.vc.data() + at;
        piece.absmax[2] = a.ma.data() + at / 2048, piece.absmax[3] = a.va.data() + at / 2048;
      } else {
        piece.streams[2] = a.mw.data() + at, piece.streams[3] = a.vw.data() + at;
      }
      piece.n = len;
      storedStep(adam, layout, raw, &piece, 1);
    }
  }
}

double measure(What what, size_t n, int threads) {
  std::vector<Arrays*> arrays;
  for (int t = 0; t < threads; ++t) arrays.push_back(new Arrays(n));
  const size_t reps = (size_t(1) << 26) / n + 2;
  double best = 1e30;
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<double> cpu(threads);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        run(what, *arrays[t], n);  // warm
        timespec a, b;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
        for (size_t r = 0; r < reps; ++r) run(what, *arrays[t], n);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        cpu[t] = double(b.tv_sec - a.tv_sec) + 1e-9 * double(b.tv_nsec - a.tv_nsec);
      });
    for (auto& th : ts) th.join();
    double sec = 0;
    for (double c : cpu) sec = c > sec ? c : sec;
    best = sec < best ? sec : best;
  }
  for (auto* a : arrays) delete a;
  return double(n) * threads * reps / best / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const char* names[] = {"float32", "probe", "bfloat16", "int8"};
  if (argc > 1) {  // one format on one thread at L1 size, for perf record
    for (int w = 0; w < 4; ++w)
      if (std::string(argv[1]) == names[w]) std::printf("%s %.0f\n", names[w], measure(What(w), 2048, 1));
    return 0;
  }
  std::printf("%-9s %8s %10s %10s %10s %10s\n", "threads", "n/thread", names[0], names[1], names[2], names[3]);
  for (int threads : {1, 2})
    for (size_t n : {size_t(2048), size_t(32768), size_t(1) << 20, size_t(1) << 23}) {
      std::printf("%-9d %8zu", threads, n);
      for (What w : {What::f32, What::probe, What::bf16, What::int8}) std::printf(" %10.0f", measure(w, n, threads));
      std::printf("\n");
    }
}
