// Persistent worker threads. A step's work is cut into fixed parts (see Split); the calling
// thread and the workers claim parts one at a time, so a worker that wakes late (an idle vCPU
// of a VM can take hundreds of microseconds to come back) only means the others run more
// parts instead of waiting for it. Small steps run inline on the calling thread.
#pragma once
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
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
  // Runs fn(part) for every part in [0, parts), in parallel; returns when all are done. Which
  // thread runs a part is not fixed, so fn must make its result depend on the part alone.
  void run(size_t parts, const std::function<void(size_t)>& fn);
  // Gets sleeping workers up and spinning ahead of a step, so their wake-up (tens to hundreds
  // of microseconds when a VM's idle vCPU has to come back) overlaps the caller's own work.
  void wake();

 private:
  ThreadPool();
  bool startWorkers(size_t count);
  void stopWorkers();
  void workerLoop(unsigned long long seen, unsigned long long alerts);
  unsigned long long currentAlerts();
  // Takes the next unclaimed part of generation `generation`; false when none is left.
  bool claim(unsigned long long generation, size_t& part);

  std::mutex runMutex_;  // one step at a time uses the pool
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::thread> workers_;
  std::atomic<const std::function<void(size_t)>*> task_{nullptr};
  std::atomic<size_t> threadCount_{1};
  std::atomic<unsigned long long> generation_{0};
  // The low 32 bits of the generation, then the number of parts not yet claimed: one word, so
  // a worker still looking at an earlier step can never claim a part of the current one.
  std::atomic<uint64_t> unclaimed_{0};
  std::atomic<size_t> parts_{0};  // of the current generation; read only after a claim of it
  std::atomic<size_t> done_{0};
  unsigned long long alerts_ = 0;  // counts wake() calls; guarded by mutex_
  bool stopping_ = false;
};

// Below this many elements a step runs on the calling thread. Measured for AdamW on a 2-vCPU
// EPYC VM (1 vs 2 threads, median of 3000 steps): 2 threads lose below 16K elements, tie or
// win by up to 1.3x between 16K and 128K depending on the neighbours' load, and win clearly
// from 256K (1.7x at 1M). Waking a worker costs a few microseconds.
constexpr size_t kInlineElements = 1 << 16;
// Elements per part when the pool is used: 128 KB of each stream, long enough for the
// prefetchers and the claim to cost nothing, short enough that a late worker's share is small.
constexpr size_t kPartElements = 1 << 15;

// The concatenation of a step's tensors cut into parts of kPartElements. Part boundaries are
// multiples of 16 floats into the concatenation: on cache-line boundaries of a tensor when the
// tensors before it add up to a multiple of 16 floats and it starts on a line (otherwise two
// threads may share a line at a boundary: slower, never wrong). The cut depends only on the
// lengths and on whether the pool has workers, so results (per-part sums included) are
// deterministic.
//
// With `align` > 1 (int8 state blocks, a power of two dividing kPartElements), each tensor is
// placed in the concatenation at a multiple of `align`, so every part boundary falls on a block
// boundary of its tensor.
class Split {
 public:
  Split(const std::vector<size_t>& lengths, size_t total, size_t align = 1)
      : lengths_(lengths), starts_(lengths.size() + 1, 0) {
    for (size_t t = 0; t < lengths.size(); ++t) starts_[t + 1] = starts_[t] + (lengths[t] + align - 1) / align * align;
    if (align > 1) total = starts_.back();
    const bool inline_ = total < kInlineElements || ThreadPool::instance().threads() == 1;
    chunk_ = inline_ ? std::max<size_t>(total, 1) : kPartElements;
    parts_ = inline_ ? 1 : (total + chunk_ - 1) / chunk_;
  }

  size_t parts() const { return parts_; }

  // Calls visit(tensor, begin, end) for each tensor's share of the part, in tensor order.
  template <class Visit>
  void forEachPiece(size_t part, Visit&& visit) const {
    const size_t total = starts_.back();
    const size_t lo = std::min(total, part * chunk_), hi = std::min(total, lo + chunk_);
    // The last tensor starting at or before lo holds the part's first element.
    size_t t = size_t(std::upper_bound(starts_.begin(), starts_.end(), lo) - starts_.begin()) - 1;
    for (; t < lengths_.size() && starts_[t] < hi; ++t) {
      const size_t b = std::max(lo, starts_[t]), e = std::min(hi, starts_[t] + lengths_[t]);
      if (b < e) visit(t, b - starts_[t], e - starts_[t]);
    }
  }

 private:
  const std::vector<size_t>& lengths_;
  std::vector<size_t> starts_;  // starts_[t]: where tensor t begins in the concatenation
  size_t chunk_ = 1, parts_ = 1;
};

}  // namespace fused
