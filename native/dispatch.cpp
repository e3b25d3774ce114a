#include "dispatch.h"

#include <atomic>

#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_AMD64))
#include <intrin.h>
#define FUSED_X86 1
#elif defined(__x86_64__)
#include <cpuid.h>
#define FUSED_X86 1
#endif
#if defined(__APPLE__) && defined(__x86_64__)
#include <sys/sysctl.h>
#endif

namespace fused {
namespace {

#if FUSED_X86
// The CPU may implement AVX/AVX-512 while the OS does not save their registers on a context
// switch; XCR0 says which register files the OS manages.
unsigned long long readXcr0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
#endif
}

// cpuid leaf/subleaf into a, b, c, d; false if the CPU does not have that leaf.
bool cpuid(unsigned leaf, unsigned a, unsigned& eax, unsigned& ebx, unsigned& ecx, unsigned& edx) {
#if defined(_MSC_VER)
  int r[4];
  __cpuid(r, 0);
  if (static_cast<unsigned>(r[0]) < leaf) return false;
  __cpuidex(r, static_cast<int>(leaf), static_cast<int>(a));
  eax = r[0], ebx = r[1], ecx = r[2], edx = r[3];
  return true;
#else
  return __get_cpuid_count(leaf, a, &eax, &ebx, &ecx, &edx) != 0;
#endif
}

struct X86Features {
  bool avx2 = false, avx512 = false, avx512bf16 = false;
};

X86Features detectX86() {
  X86Features f;
  unsigned a, b, c, d;
  if (!cpuid(1, 0, a, b, c, d)) return f;
  const bool osxsave = c & (1u << 27), avx = c & (1u << 28), fma = c & (1u << 12);
  if (!osxsave || !avx) return f;
  const auto xcr0 = readXcr0();
  const bool ymmEnabled = (xcr0 & 0x6) == 0x6;            // SSE + AVX state
  const bool zmmEnabled = (xcr0 & 0xe6) == 0xe6;          // + opmask, ZMM0-15 high, ZMM16-31
  if (!cpuid(7, 0, a, b, c, d)) return f;
  f.avx2 = ymmEnabled && fma && (b & (1u << 5));
  f.avx512 = f.avx2 && zmmEnabled && (b & (1u << 16));
  // AVX512 BW (ebx 30), DQ (ebx 17), VL (ebx 31), and BF16 (leaf 7 subleaf 1, eax 5).
  const bool bwDqVl = (b & (1u << 30)) && (b & (1u << 17)) && (b & (1u << 31));
  const bool hasSubleaf1 = a >= 1;  // leaf 7's eax: its last subleaf
  unsigned a1 = 0, b1, c1, d1;
  f.avx512bf16 = f.avx512 && bwDqVl && hasSubleaf1 && cpuid(7, 1, a1, b1, c1, d1) && (a1 & (1u << 5));
#if defined(__APPLE__) && defined(__x86_64__)
  // macOS gives a thread the AVX-512 register state on its first AVX-512 instruction, so XCR0
  // does not show it up front; the kernel says whether it will, through sysctl.
  if (f.avx2 && !f.avx512 && (b & (1u << 16))) {
    int enabled = 0;
    size_t size = sizeof enabled;
    f.avx512 = sysctlbyname("hw.optional.avx512f", &enabled, &size, nullptr, 0) == 0 && enabled != 0;
  }
#endif
  return f;
}
#endif

#if defined(FUSED_HAVE_AVX512BF16)
KernelTable renamed(const KernelTable& table, const char* isa) {
  KernelTable t = table;
  t.isa = isa;
  return t;
}
#endif

std::vector<const KernelTable*> detect() {
  std::vector<const KernelTable*> t{&scalar::table()};
#if FUSED_X86
  t.push_back(&sse2::table());  // part of the x86-64 baseline
  const auto f = detectX86();
  if (f.avx2) t.push_back(&avx2::table());
#if defined(FUSED_HAVE_AVX512BF16)  // the build compiled that tier (CMakeLists.txt)
  if (f.avx512bf16) {
    // "avx512" names the best AVX-512 code the CPU runs; the AVX512F-only copy stays
    // selectable, as "avx512f", to test and compare it.
    static const KernelTable foundation = renamed(avx512::table(), "avx512f");
    static const KernelTable best = renamed(avx512bf16::table(), "avx512");
    t.push_back(&foundation);
    t.push_back(&best);
    return t;
  }
#endif
  if (f.avx512) t.push_back(&avx512::table());
#elif defined(__aarch64__)
  t.push_back(&neon::table());  // part of the arm64 baseline
#endif
  return t;
}

std::atomic<const KernelTable*>& active() {
  static std::atomic<const KernelTable*> current{supportedTables().back()};
  return current;
}

}  // namespace

const std::vector<const KernelTable*>& supportedTables() {
  static const std::vector<const KernelTable*> tables = detect();
  return tables;
}

const KernelTable& kernels() { return *active().load(std::memory_order_acquire); }

bool selectIsa(const std::string& name) {
  for (const auto* t : supportedTables()) {
    if (name == t->isa) {
      active().store(t, std::memory_order_release);
      return true;
    }
  }
  return false;
}

}  // namespace fused
