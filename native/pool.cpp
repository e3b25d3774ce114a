#include "pool.h"

#include <chrono>
#include <system_error>

#if defined(__linux__)
#include <sched.h>
#endif

namespace fused {

ThreadPool& ThreadPool::instance() {
  // Leaked on purpose: joining threads from a static destructor at process exit can deadlock
  // when the addon is unloaded while Node tears down.
  static ThreadPool* pool = new ThreadPool();
  return *pool;
}

// The CPUs this process may run on: containers and taskset limit them below what
// hardware_concurrency() reports.
static size_t usableCpus() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return size_t(n);
  }
#endif
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

ThreadPool::ThreadPool() { startWorkers(usableCpus() - 1); }

ThreadPool::~ThreadPool() { stopWorkers(); }

bool ThreadPool::setThreads(size_t n) {
  n = std::clamp<size_t>(n, 1, 256);
  std::lock_guard<std::mutex> running(runMutex_);
  if (n == threads()) return true;
  stopWorkers();
  return startWorkers(n - 1);
}

bool ThreadPool::startWorkers(size_t count) {
  stopping_ = false;
  const auto now = generation_.load(std::memory_order_acquire);
  bool all = true;
  for (size_t i = 0; i < count; ++i) {
    try {
      workers_.emplace_back([this, i, now] { workerLoop(i + 1, now); });
    } catch (const std::system_error&) {
      all = false;  // out of threads (pids limit, address space): run with those that started
      break;
    }
  }
  threadCount_.store(workers_.size() + 1, std::memory_order_release);
  return all;
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
  threadCount_.store(1, std::memory_order_release);
}

void ThreadPool::run(size_t parts, const std::function<void(size_t)>& fn) {
  if (parts <= 1) {
    for (size_t p = 0; p < parts; ++p) fn(p);
    return;
  }
  std::lock_guard<std::mutex> running(runMutex_);
  const size_t team = workers_.size() + 1;
  // Thread i runs parts i, i + team, ...: every part runs even if the pool shrank since the
  // caller chose `parts` (another thread may call setThreads in between).
  const std::function<void(size_t)> strided = [&](size_t first) {
    for (size_t p = first; p < parts; p += team) fn(p);
  };
  if (team == 1) return strided(0);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &strided;
    pending_.store(workers_.size(), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  strided(0);
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
    lock.unlock();
    (*task)(index);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace fused
