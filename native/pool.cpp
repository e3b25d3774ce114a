#include "pool.h"

#include <chrono>

namespace fused {

ThreadPool& ThreadPool::instance() {
  // Leaked on purpose: joining threads from a static destructor at process exit can deadlock
  // when the addon is unloaded while Node tears down.
  static ThreadPool* pool = new ThreadPool();
  return *pool;
}

ThreadPool::ThreadPool() {
  const unsigned hw = std::thread::hardware_concurrency();
  startWorkers((hw == 0 ? 1 : hw) - 1);
}

ThreadPool::~ThreadPool() { stopWorkers(); }

void ThreadPool::setThreads(size_t n) {
  n = std::clamp<size_t>(n, 1, 256);
  std::lock_guard<std::mutex> running(runMutex_);
  if (n == threads()) return;
  stopWorkers();
  startWorkers(n - 1);
}

void ThreadPool::startWorkers(size_t count) {
  stopping_ = false;
  const auto now = generation_.load(std::memory_order_acquire);
  for (size_t i = 0; i < count; ++i) workers_.emplace_back([this, i, now] { workerLoop(i + 1, now); });
}

void ThreadPool::stopWorkers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

void ThreadPool::run(size_t parts, const std::function<void(size_t)>& fn) {
  if (parts <= 1 || workers_.empty()) {
    for (size_t p = 0; p < parts; ++p) fn(p);
    return;
  }
  std::lock_guard<std::mutex> running(runMutex_);
  parts = std::min(parts, threads());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &fn;
    parts_ = parts;
    pending_.store(workers_.size(), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  fn(0);
  // The other parts are the same size as ours: a short spin usually suffices.
  for (unsigned spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins)
    if (spins > 1000) std::this_thread::yield();
}

void ThreadPool::workerLoop(size_t index, unsigned long long seen) {
  for (;;) {
    // Spin briefly before sleeping: steps often come back to back, and a futex wake-up costs
    // tens of microseconds. Bounded so an idle pool costs nothing.
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
    for (unsigned i = 0; generation_.load(std::memory_order_acquire) == seen; ++i)
      if ((i & 255) == 0 && std::chrono::steady_clock::now() > until) break;
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
    seen = generation_.load(std::memory_order_acquire);
    if (stopping_) return;
    const auto* task = task_;
    const size_t parts = parts_;
    lock.unlock();
    if (index < parts) (*task)(index);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace fused
