// The wasm backend's entry points: the kernels of native/kernels compiled for WebAssembly SIMD
// (FUSED_ISA_WASM), for hosts where the native addon cannot be built. JavaScript copies slices
// of the tensors into this module's memory, calls these, and copies the written slices back
// (src/backend/wasm.ts). Built by scripts/build-wasm.mjs; the .wasm file is committed.
#include "../kernels/host_math.h"
#include "../kernels/kernels.h"

#define FUSED_EXPORT(name) extern "C" __attribute__((export_name(#name)))

namespace {
const fused::KernelTable& k() { return fused::wasm::table(); }
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

FUSED_EXPORT(fo_step) void fo_step(int kind, const double* scalars, float* const* streams, int n) {
  if (kind < 0 || kind >= int(fused::Kind::count)) return;
  fused::Piece piece{};
  for (size_t s = 0; s < fused::kMaxStreams; ++s) piece.streams[s] = streams[s];
  piece.n = size_t(n);
  k().step[kind](scalars, &piece, 1);
}

// One tensor's slice with stored state (stateDtype): format 1 bfloat16, 2 int8; streams as for
// fo_step (state streams holding words or codes), absmax[k] the slice's first block scale.
FUSED_EXPORT(fo_stored_step)
void fo_stored_step(int kind, int format, int blockSize, unsigned unsignedMask, const double* scalars,
                    void* const* streams, float* const* absmax, int n) {
  if (kind < 0 || kind >= int(fused::Kind::count) || (format != 1 && format != 2)) return;
  if (format == 2 && (blockSize < 256 || blockSize > int(fused::kMaxBlock) || (blockSize & (blockSize - 1)) != 0)) return;
  fused::StoredPiece piece{};
  for (size_t s = 0; s < fused::kMaxStreams; ++s) {
    piece.streams[s] = streams[s];
    piece.absmax[s] = absmax[s];
  }
  piece.n = size_t(n);
  const fused::StoredLayout layout{static_cast<fused::StateFormat>(format), size_t(blockSize), unsignedMask};
  k().storedStep(k().step[kind], layout, scalars, &piece, 1);
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
// squares, 1 sum of absolute values, 2 max of absolute values (NaN if any), 3 float sum.
FUSED_EXPORT(fo_reduce) double fo_reduce(int op, const float* x, int n, double acc) {
  using fused::host::ReduceOp;
  const auto code = static_cast<ReduceOp>(op);
  const double r = code == ReduceOp::sumSquares ? k().sumSquares(x, size_t(n))
                   : code == ReduceOp::sumAbs   ? k().sumAbs(x, size_t(n))
                   : code == ReduceOp::maxAbs   ? double(k().maxAbs(x, size_t(n)))
                                                : k().sumFloat(x, size_t(n));
  return fused::host::combine(code, acc, r);
}
