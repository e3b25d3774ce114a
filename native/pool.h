// Persistent worker threads. A step is split into one contiguous range per thread, cut on
// cache-line boundaries; the calling thread takes the first range itself. Small steps run
// inline: waking a worker costs more than it saves below `kInlineElements`.
#pragma once
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fused {

class ThreadPool {
 public:
  static ThreadPool& instance();
  ~ThreadPool();

  size_t threads() const { return threadCount_.load(std::memory_order_acquire); }
  // Total threads including the caller, clamped to [1, 256]; false if the OS refused some
  // (the pool then runs with those it got).
  bool setThreads(size_t n);
  // Runs fn(part) for every part in [0, parts), in parallel; returns when all are done.
  void run(size_t parts, const std::function<void(size_t)>& fn);

 private:
  ThreadPool();
  bool startWorkers(size_t count);
  void stopWorkers();
  void workerLoop(size_t index, unsigned long long seen);

  std::mutex runMutex_;  // one step at a time uses the pool
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::thread> workers_;
  const std::function<void(size_t)>* task_ = nullptr;
  std::atomic<size_t> threadCount_{1};
  std::atomic<unsigned long long> generation_{0};
  std::atomic<size_t> pending_{0};
  bool stopping_ = false;
};

// Below this many elements a step runs on the calling thread. Measured for AdamW on a 2-vCPU
// EPYC VM (1 vs 2 threads, median of 3000 steps): 2 threads lose below 16K elements, tie or
// win by up to 1.3x between 16K and 128K depending on the neighbours' load, and win clearly
// from 256K (1.7x at 1M). Waking a worker costs a few microseconds.
constexpr size_t kInlineElements = 1 << 16;
// Range boundaries fall on multiples of this many floats (one 64-byte cache line), so two
// threads never write the same line of a tensor that starts on a line boundary.
constexpr size_t kAlignElements = 16;

// Splits the concatenation of tensors with the given lengths into `parts` ranges and calls
// visit(part, tensor, begin, end) for each piece. The split depends only on the lengths and
// the part count, so results are deterministic for a fixed thread count.
template <class Visit>
void forEachPiece(const std::vector<size_t>& lengths, size_t total, size_t parts, size_t part, Visit&& visit) {
  const size_t per = (total + parts - 1) / parts;
  const size_t chunk = (per + kAlignElements - 1) / kAlignElements * kAlignElements;
  const size_t lo = std::min(total, part * chunk), hi = std::min(total, lo + chunk);
  size_t offset = 0;
  for (size_t t = 0; t < lengths.size() && offset < hi; ++t) {
    const size_t n = lengths[t];
    const size_t b = std::max(lo, offset), e = std::min(hi, offset + n);
    if (b < e) visit(t, b - offset, e - offset);
    offset += n;
  }
}

// Number of ranges to split `total` elements into.
inline size_t partsFor(size_t total) {
  const size_t threads = ThreadPool::instance().threads();
  if (total < kInlineElements || threads == 1) return 1;
  return std::min(threads, (total + kInlineElements / 2 - 1) / (kInlineElements / 2));
}

}  // namespace fused
