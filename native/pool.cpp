#include "pool.h"

#include <chrono>
#include <system_error>

#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#include <immintrin.h>
#endif

namespace fused {

// One spin-wait iteration. The pause hint keeps a spinning thread from starving its SMT
// sibling (the 2 vCPUs of a VM are often one core's two threads) and from flushing the
// pipeline when the awaited value changes.
static inline void cpuRelax() {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

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
      workers_.emplace_back([this, now, alerts = currentAlerts()] { workerLoop(now, alerts); });
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

bool ThreadPool::claim(unsigned long long generation, size_t& part) {
  const uint64_t tag = uint64_t(generation & 0xffffffffu) << 32;
  uint64_t word = unclaimed_.load(std::memory_order_acquire);
  for (;;) {
    const uint64_t left = word & 0xffffffffu;
    if ((word & ~uint64_t(0xffffffffu)) != tag || left == 0) return false;
    if (unclaimed_.compare_exchange_weak(word, word - 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
      part = parts_.load(std::memory_order_relaxed) - size_t(left);  // in ascending order
      return true;
    }
  }
}

void ThreadPool::run(size_t parts, const std::function<void(size_t)>& fn) {
  std::lock_guard<std::mutex> running(runMutex_);
  if (parts <= 1 || workers_.empty() || parts > 0xffffffffu) {
    for (size_t p = 0; p < parts; ++p) fn(p);
    return;
  }
  unsigned long long generation;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_.store(&fn, std::memory_order_relaxed);
    parts_.store(parts, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    generation = generation_.load(std::memory_order_relaxed) + 1;
    unclaimed_.store((uint64_t(generation & 0xffffffffu) << 32) | parts, std::memory_order_release);
    generation_.store(generation, std::memory_order_release);
  }
  wake_.notify_all();
  size_t part, mine = 0;
  for (; claim(generation, part); ++mine) fn(part);
  done_.fetch_add(mine, std::memory_order_acq_rel);
  // Only parts already claimed are left: wait for them, never for a worker still waking up.
  for (unsigned spins = 0; done_.load(std::memory_order_acquire) != parts; ++spins) {
    cpuRelax();
    if (spins > 1000) std::this_thread::yield();
  }
}

void ThreadPool::wake() {
  // Not under runMutex_: a step running on a libuv worker must not block the JS thread here.
  if (threads() == 1) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++alerts_;
  }
  wake_.notify_all();
}

unsigned long long ThreadPool::currentAlerts() {
  std::lock_guard<std::mutex> lock(mutex_);
  return alerts_;
}

void ThreadPool::workerLoop(unsigned long long seen, unsigned long long alerts) {
  for (;;) {
    // Spin briefly before sleeping: steps often come back to back, and a futex wake-up costs
    // tens of microseconds. Bounded so an idle pool costs nothing.
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
    for (unsigned i = 0; generation_.load(std::memory_order_acquire) == seen; ++i) {
      cpuRelax();
      if ((i & 255) == 0 && std::chrono::steady_clock::now() > until) break;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen || alerts_ != alerts; });
    alerts = alerts_;
    if (generation_.load(std::memory_order_acquire) == seen) continue;  // woken ahead: spin again
    seen = generation_.load(std::memory_order_acquire);
    if (stopping_) return;
    lock.unlock();
    // A claimed part keeps the caller waiting, so the task it points to is alive while it runs.
    size_t part, count = 0;
    for (; claim(seen, part); ++count) (*task_.load(std::memory_order_relaxed))(part);
    if (count != 0) done_.fetch_add(count, std::memory_order_acq_rel);
  }
}

}  // namespace fused
