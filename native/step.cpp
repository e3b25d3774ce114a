#include "step.h"

#include <cstring>

#include "dispatch.h"
#include "pool.h"
#include "specs.h"

namespace fused {

size_t totalLength(const Spans& s) {
  size_t total = 0;
  for (size_t n : s.length) total += n;
  return total;
}

namespace {

// Out of place (StepArgs::paramOut): a group of pieces of at most kOutChunk elements has its
// params copied into the outputs, then the kernel updates the outputs in place, while the copy
// is still in L1. Memory sees what a kernel reading one array and writing another would (the
// old param read once, the new one written once), no kernel needs a second form, and the bits
// are the in-place ones by construction. A multiple of every int8 block size.
constexpr size_t kOutChunk = 4096;
static_assert(kOutChunk % kMaxBlock == 0, "out-of-place groups must not cut int8 blocks");

// Split's pieces of a part, out of place cut to at most kOutChunk elements (on multiples of it
// from the piece's start, which int8 state keeps on a block boundary).
template <class Visit>
void forEachCut(const StepArgs& args, const Split& split, size_t part, Visit&& visit) {
  const bool cut = args.paramOut.present;
  split.forEachPiece(part, [&](size_t t, size_t b, size_t e) {
    if (!cut) return visit(t, b, e);
    for (size_t at = b; at < e; at += kOutChunk) visit(t, at, e - at > kOutChunk ? at + kOutChunk : e);
  });
}

// Runs `run(first, count)` over the pieces: all at once in place; out of place in groups, each
// group's params first copied into their outputs (outputs[i] is piece i's), which then take the
// params' place in the pieces. An output that is its param's memory needs no copy.
template <class P, class Run>
void runGroups(std::vector<P>& pieces, const std::vector<float*>& outputs, Run&& run) {
  if (outputs.empty()) return run(pieces.data(), pieces.size());
  size_t first = 0, filled = 0;
  for (size_t p = 0; p < pieces.size(); ++p) {
    if (p > first && filled + pieces[p].n > kOutChunk) {
      run(&pieces[first], p - first);
      first = p;
      filled = 0;
    }
    const float* in = static_cast<const float*>(pieces[p].streams[0]);
    if (outputs[p] != in) std::memcpy(outputs[p], in, pieces[p].n * sizeof(float));
    pieces[p].streams[0] = outputs[p];
    filled += pieces[p].n;
  }
  if (first < pieces.size()) run(&pieces[first], pieces.size() - first);
}

// The output of a piece (out of place), appended to `outputs`.
void addOutput(const StepArgs& args, size_t t, size_t b, std::vector<float*>& outputs) {
  if (args.paramOut.present) outputs.push_back(static_cast<float*>(args.paramOut.at(t, b)));
}

// The pieces of one part of a step, in tensor order, and out of place their outputs; with
// `tensors`, the tensor of each too.
void piecesOf(const StepArgs& args, const Split& split, size_t part, std::vector<Piece>& pieces,
              std::vector<float*>& outputs, std::vector<size_t>* tensors = nullptr) {
  const size_t streams = args.streams.size();  // at most kMaxStreams (checked in kernels.h)
  forEachCut(args, split, part, [&](size_t t, size_t b, size_t e) {
    Piece piece{};
    for (size_t k = 0; k < streams; ++k) {
      const Spans& stream = args.streams[k];
      piece.streams[k] = stream.present ? static_cast<float*>(stream.at(t, b)) : nullptr;
    }
    piece.n = e - b;
    pieces.push_back(piece);
    addOutput(args, t, b, outputs);
    if (tensors != nullptr) tensors->push_back(t);
  });
}

// Stored state: parts are cut on int8 block boundaries of every tensor, so no block spans two
// threads; each part's pieces go through lowmem.cpp with the kind's float32 kernel.
void runStored(StepKernel kernel, const StepArgs& args, const double* scalars) {
  const auto& k = kernels();
  const size_t align = args.layout.format == StateFormat::int8 ? args.layout.blockSize : 1;
  const Split split(args.streams[0].length, args.total, align);
  ThreadPool::instance().run(split.parts(), [&](size_t part) {
    std::vector<StoredPiece> pieces;
    std::vector<float*> outputs;
    forEachCut(args, split, part, [&](size_t t, size_t b, size_t e) {
      StoredPiece piece{};
      for (size_t s = 0; s < args.streams.size(); ++s) {
        const Spans& stream = args.streams[s];
        if (!stream.present) continue;
        piece.streams[s] = stream.at(t, b);
        if (align > 1 && s >= 2) piece.absmax[s] = static_cast<float*>(args.absmax[s].at(t, b / align));
      }
      piece.n = e - b;
      pieces.push_back(piece);
      addOutput(args, t, b, outputs);
    });
    runGroups(pieces, outputs, [&](const StoredPiece* first, size_t count) {
      k.storedStep(kernel, args.layout, scalars, first, count);
    });
  });
}

// LAMB: pass 1 updates the moments and sums ||p||², ||u||² per piece; the pieces of a tensor
// are added up in part order (deterministic); pass 2 applies lr · trust (host_math.h). A part's pieces are consecutive tensors, so piece (part, t) has the unique slot
// part + t: parts + tensors slots in all, however many tensors a part spans.
void runLamb(const StepArgs& args, const double* scalars) {
  const auto& k = kernels();
  auto& pool = ThreadPool::instance();
  const Split split(args.streams[0].length, args.total);
  const size_t parts = split.parts();
  const size_t tensorCount = args.streams[0].length.size();
  std::vector<double> sums((parts + tensorCount) * 2, 0.0);
  // Pass 1 reads the params where they are, uncut (its sums must add up as in place); out of
  // place, pass 2 writes the outputs.
  pool.run(parts, [&](size_t part) {
    split.forEachPiece(part, [&](size_t t, size_t b, size_t e) {
      float* streams[kMaxStreams] = {};
      for (size_t s = 0; s < args.streams.size(); ++s)
        if (args.streams[s].present) streams[s] = static_cast<float*>(args.streams[s].at(t, b));
      k.lambMoments(scalars, streams, e - b, &sums[(part + t) * 2]);
    });
  });
  std::vector<double> pSq(tensorCount, 0.0), uSq(tensorCount, 0.0);
  for (size_t part = 0; part < parts; ++part)
    split.forEachPiece(part, [&](size_t t, size_t, size_t) {
      pSq[t] += sums[(part + t) * 2];
      uSq[t] += sums[(part + t) * 2 + 1];
    });
  const auto named = host::scalarsOf<lamb_scalars>(scalars);
  std::vector<double> lrTrust(tensorCount);
  for (size_t t = 0; t < tensorCount; ++t) lrTrust[t] = host::lambLrTrust(named, pSq[t], uSq[t]);
  pool.run(parts, [&](size_t part) {
    std::vector<Piece> pieces;
    std::vector<float*> outputs;
    std::vector<size_t> tensors;
    piecesOf(args, split, part, pieces, outputs, &tensors);
    runGroups(pieces, outputs, [&](const Piece* first, size_t count) {
      for (const Piece* p = first; p != first + count; ++p)
        k.lambApply(scalars, p->streams, p->n, lrTrust[tensors[size_t(p - pieces.data())]]);
    });
  });
}

// A one-pass kernel over float32 streams: one call per part.
void runKernel(StepKernel kernel, const StepArgs& args, const double* scalars) {
  const Split split(args.streams[0].length, args.total);
  ThreadPool::instance().run(split.parts(), [&](size_t part) {
    std::vector<Piece> pieces;
    std::vector<float*> outputs;
    piecesOf(args, split, part, pieces, outputs);
    runGroups(pieces, outputs, [&](const Piece* first, size_t count) { kernel(scalars, first, count); });
  });
}

}  // namespace

void runStep(size_t kind, const StepArgs& args, const double* scalars) {
  if (kind == kLambKind) return runLamb(args, scalars);
  const auto kernel = kernels().step[kind];
  if (args.layout.format != StateFormat::f32) return runStored(kernel, args, scalars);
  runKernel(kernel, args, scalars);
}

void runProbe(const StepArgs& args) { runKernel(kernels().probe, args, nullptr); }

double runReduce(const Spans& x, host::ReduceOp op) {
  using host::ReduceOp;
  const Split split(x.length, totalLength(x));
  const size_t parts = split.parts();
  const auto& k = kernels();
  std::vector<double> partial(parts, 0.0);
  ThreadPool::instance().run(parts, [&](size_t part) {
    double acc = 0.0;
    split.forEachPiece(part, [&](size_t t, size_t b, size_t e) {
      const float* data = static_cast<const float*>(x.at(t, b));
      const double r = op == ReduceOp::sumSquares ? k.sumSquares(data, e - b)
                       : op == ReduceOp::sumAbs   ? k.sumAbs(data, e - b)
                       : op == ReduceOp::maxAbs   ? double(k.maxAbs(data, e - b))
                                                  : k.sumFloat(data, e - b);
      acc = host::combine(op, acc, r);
    });
    partial[part] = acc;
  });
  double result = 0.0;
  for (double r : partial) result = host::combine(op, result, r);
  return result;
}

}  // namespace fused
