#include "step.h"


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

// The pieces of one part of a step, in tensor order; with `tensors`, the tensor of each too.
void piecesOf(const StepArgs& args, const Split& split, size_t part, std::vector<Piece>& pieces,
              std::vector<size_t>* tensors = nullptr) {
  const size_t streams = args.streams.size();  // at most kMaxStreams (checked in kernels.h)
  split.forEachPiece(part, [&](size_t t, size_t b, size_t e) {
    Piece piece{};
    for (size_t k = 0; k < streams; ++k) {
      const Spans& stream = args.streams[k];
      piece.streams[k] = stream.present ? static_cast<float*>(stream.at(t, b)) : nullptr;
    }
    piece.n = e - b;
    pieces.push_back(piece);
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
    split.forEachPiece(part, [&](size_t t, size_t b, size_t e) {
      StoredPiece piece{};
      for (size_t s = 0; s < args.streams.size(); ++s) {
        const Spans& stream = args.streams[s];
        if (!stream.present) continue;
        piece.streams[s] = stream.at(t, b);
        if (align > 1 && s >= 2) piece.absmax[s] = static_cast<float*>(args.absmax[s].at(t, b / align));
      }
      piece.n = e - b;
      pieces.push_back(piece);
    });
    k.storedStep(kernel, args.layout, scalars, pieces.data(), pieces.size());
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
  pool.run(parts, [&](size_t part) {
    std::vector<Piece> pieces;
    std::vector<size_t> tensors;
    piecesOf(args, split, part, pieces, &tensors);
    for (size_t i = 0; i < pieces.size(); ++i)
      k.lambMoments(scalars, pieces[i].streams, pieces[i].n, &sums[(part + tensors[i]) * 2]);
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
    std::vector<size_t> tensors;
    piecesOf(args, split, part, pieces, &tensors);
    for (size_t i = 0; i < pieces.size(); ++i)
      k.lambApply(scalars, pieces[i].streams, pieces[i].n, lrTrust[tensors[i]]);
  });
}

}  // namespace

void runStep(size_t kind, const StepArgs& args, const double* scalars) {
  if (kind == kLambKind) return runLamb(args, scalars);
  const auto kernel = kernels().step[kind];
  if (args.layout.format != StateFormat::f32) return runStored(kernel, args, scalars);
  const Split split(args.streams[0].length, args.total);
  ThreadPool::instance().run(split.parts(), [&](size_t part) {
    std::vector<Piece> pieces;
    piecesOf(args, split, part, pieces);
    kernel(scalars, pieces.data(), pieces.size());
  });
}

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
