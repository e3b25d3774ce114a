// The wasm backend's entry points: the kernels of native/kernels compiled for WebAssembly SIMD
// (FUSED_ISA_WASM), for hosts where the native addon cannot be built. JavaScript copies slices
// of the tensors into this module's memory, calls these, and copies the written slices back
// (src/backend/wasm.ts). Built by scripts/build-wasm.mjs; the .wasm file is committed.
#include "../kernels/host_math.h"
#include "../kernels/kernels.h"

#define FUSED_EXPORT(name) extern "C" __attribute__((export_name(#name)))

namespace {
const fused::KernelTable& k() { return fused::wasm::table(); }

// Out of place (a non-null `source`): the old values are read from `source` and the new ones
// written to streams[0]. Each group of kOutGroup elements is copied into the output just before
// the kernel updates it there in place, so the kernel finds it in L1 (as the addon does:
// native/step.cpp). `run(group streams, n, at)` takes the group's streams, `bytes[s]` apart.
constexpr int kOutGroup = 4096;
static_assert(kOutGroup % fused::kMaxBlock == 0, "a group must hold whole int8 blocks");
template <class Run>
void overGroups(void* const* streams, const size_t* bytes, int n, const float* source, Run&& run) {
  if (source == nullptr) {
    run(streams, n, 0);
    return;
  }
  for (int at = 0; at < n; at += kOutGroup) {
    const int m = n - at < kOutGroup ? n - at : kOutGroup;
    void* group[fused::kMaxStreams];
    for (size_t s = 0; s < fused::kMaxStreams; ++s)
      group[s] = streams[s] == nullptr ? nullptr : static_cast<char*>(streams[s]) + size_t(at) * bytes[s];
    __builtin_memcpy(group[0], source + at, size_t(m) * 4);
    run(group, m, at);
  }
}
}  // namespace

// The kinds, from the same declarations the addon uses, for src/backend/wasm.ts to compare with
// its own table: a line per kind ("kind adam"), then one per scalar in packing order
// ("scalar eps real") and one per stream ("stream param 1 always": written, enabled by).
#define FUSED_Q(x) #x
#define FUSED_LINE_SCALAR(name, domain) "scalar " FUSED_Q(name) " " FUSED_Q(domain) "\n"
#define FUSED_LINE_STREAM(name, written, enabledBy) "stream " FUSED_Q(name) " " FUSED_Q(written) " " FUSED_Q(enabledBy) "\n"
#define FUSED_LINE_KIND(kind, SCALARS, STREAMS) "kind " FUSED_Q(kind) "\n" SCALARS(FUSED_LINE_SCALAR) STREAMS(FUSED_LINE_STREAM)
static const char kKinds[] = FUSED_STEP_KINDS(FUSED_LINE_KIND) FUSED_LINE_KIND(lamb, FUSED_LAMB_SCALARS, FUSED_LAMB_STREAMS);

FUSED_EXPORT(fo_kinds) const char* fo_kinds() { return kKinds; }

FUSED_EXPORT(fo_step)
void fo_step(int kind, const double* scalars, float* const* streams, int n, const float* source) {
  if (kind < 0 || kind >= int(fused::Kind::count)) return;
  size_t bytes[fused::kMaxStreams];
  for (size_t& b : bytes) b = 4;
  overGroups(reinterpret_cast<void* const*>(streams), bytes, n, source, [&](void* const* group, int m, int) {
    fused::Piece piece{};
    for (size_t s = 0; s < fused::kMaxStreams; ++s) piece.streams[s] = static_cast<float*>(group[s]);
    piece.n = size_t(m);
    k().step[kind](scalars, &piece, 1);
  });
}

// One tensor's slice with stored state (stateDtype): format 1 bfloat16, 2 int8; streams as for
// fo_step (state streams holding words or codes), absmax[k] the slice's first block scale.
FUSED_EXPORT(fo_stored_step)
void fo_stored_step(int kind, int format, int blockSize, unsigned unsignedMask, const double* scalars,
                    void* const* streams, float* const* absmax, int n, const float* source) {
  if (kind < 0 || kind >= int(fused::Kind::count) || (format != 1 && format != 2)) return;
  if (format == 2 && (blockSize < 256 || blockSize > int(fused::kMaxBlock) || (blockSize & (blockSize - 1)) != 0)) return;
  size_t bytes[fused::kMaxStreams];
  for (size_t s = 0; s < fused::kMaxStreams; ++s) bytes[s] = s < 2 ? 4 : format == 1 ? 2 : 1;
  const fused::StoredLayout layout{static_cast<fused::StateFormat>(format), size_t(blockSize), unsignedMask};
  overGroups(streams, bytes, n, source, [&](void* const* group, int m, int at) {
    fused::StoredPiece piece{};
    for (size_t s = 0; s < fused::kMaxStreams; ++s) {
      piece.streams[s] = group[s];
      piece.absmax[s] = absmax[s] == nullptr ? nullptr : absmax[s] + (format == 2 ? at / blockSize : 0);
    }
    piece.n = size_t(m);
    k().storedStep(k().step[kind], layout, scalars, &piece, 1);
  });
}

FUSED_EXPORT(fo_lamb_moments) void fo_lamb_moments(const double* scalars, float* const* streams, int n, double* sums) {
  k().lambMoments(scalars, streams, size_t(n), sums);
}

// The step size of LAMB's apply pass from a tensor's sums (sums[0] ||param||², sums[1] ||update||²).
FUSED_EXPORT(fo_lamb_lr_trust) double fo_lamb_lr_trust(const double* scalars, const double* sums) {
  return fused::host::lambLrTrust(fused::host::scalarsOf<fused::lamb_scalars>(scalars), sums[0], sums[1]);
}

FUSED_EXPORT(fo_lamb_apply) void fo_lamb_apply(const double* scalars, float* const* streams, int n, double lrTrust) {
  k().lambApply(scalars, streams, size_t(n), lrTrust);
}

// A slice's reduction combined with the running result `acc` (host_math.h); op: 0 sum of
// squares, 1 sum of absolute values, 2 max of absolute values (NaN if any).
FUSED_EXPORT(fo_reduce) double fo_reduce(int op, const float* x, int n, double acc) {
  using fused::host::ReduceOp;
  const auto code = static_cast<ReduceOp>(op);
  if (code != ReduceOp::sumSquares && code != ReduceOp::sumAbs && code != ReduceOp::maxAbs) return NAN;
  const double r = code == ReduceOp::sumSquares ? k().sumSquares(x, size_t(n))
                   : code == ReduceOp::sumAbs   ? k().sumAbs(x, size_t(n))
                                                : double(k().maxAbs(x, size_t(n)));
  return fused::host::combine(code, acc, r);
}
