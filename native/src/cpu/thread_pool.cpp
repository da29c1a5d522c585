// A fixed pool with one job at a time: the caller publishes (fn, range), opens the job, bumps
// a generation counter to wake the workers, and takes chunks itself alongside them (an atomic
// cursor hands them out). When the caller runs out of chunks it closes the job and waits only
// for workers that joined it; a worker that wakes after the close leaves without touching it,
// so a descheduled worker on a busy machine never delays the caller. Workers spin briefly
// before sleeping because a network's ops arrive back to back and a futex wake per op would
// dominate the small ones.
//
// The pool is deliberately never destroyed: joining threads from a static destructor at
// process exit races with whatever other threads (e.g. the JVM's) are still calling in.
#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define G4J_CPU_RELAX() _mm_pause()
#else
#define G4J_CPU_RELAX() std::this_thread::yield()
#endif

#include "../common.h"
#include "../ops.h"

namespace g4j {
namespace cpu {
namespace {

thread_local bool t_in_region = false;

struct RegionGuard {
  bool saved;
  RegionGuard() : saved(t_in_region) { t_in_region = true; }
  ~RegionGuard() { t_in_region = saved; }
};

int default_threads() {
  if (const char* env = std::getenv("G4J_NUM_THREADS")) {
    char* end = nullptr;
    long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v > 0) return int(std::min(v, 1024L));
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : int(std::min(hc, 1024u));
}

class Pool {
 public:
  explicit Pool(int threads) { start(threads); }

  int threads() const { return threads_.load(std::memory_order_relaxed); }

  void resize(int threads) {
    std::lock_guard<std::mutex> job(job_mutex_);
    stop_all();
    start(threads);
  }

  // Runs fn over [begin, end) in chunks of `chunk`.
  void run(int64_t begin, int64_t end, int64_t chunk,
           const std::function<void(int64_t, int64_t)>& fn) {
    std::lock_guard<std::mutex> job(job_mutex_);
    fn_ = &fn;
    end_ = end;
    chunk_ = chunk;
    next_.store(begin, std::memory_order_relaxed);
    failed_.store(false, std::memory_order_relaxed);
    error_ = nullptr;
    closed_.store(false, std::memory_order_seq_cst);
    {
      std::lock_guard<std::mutex> lk(mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    work();
    // Seq-cst pairs with the worker's join: a worker either counted itself in busy_ before
    // this close (and is waited for) or sees the job closed and never touches it.
    closed_.store(true, std::memory_order_seq_cst);
    for (int spin = 0; spin < 2000 && busy_.load(std::memory_order_seq_cst) != 0; ++spin) {
      G4J_CPU_RELAX();
    }
    {
      std::unique_lock<std::mutex> lk(mutex_);
      done_.wait(lk, [&] { return busy_.load(std::memory_order_seq_cst) == 0; });
    }
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void start(int threads) {
    stop_ = false;
    workers_.reserve(size_t(threads - 1));
    // Each worker starts from the generation current now, so a job published before the
    // thread first runs is still seen as new.
    const uint64_t first = generation_.load(std::memory_order_acquire);
    try {
      for (int i = 0; i < threads - 1; ++i) workers_.emplace_back([this, first] { loop(first); });
    } catch (const std::exception& e) {
      stop_all();
      fail(G4J_ERR_INTERNAL, "cpu thread pool: cannot start %d threads: %s", threads, e.what());
    }
    threads_.store(threads, std::memory_order_relaxed);
  }

  void stop_all() {
    {
      std::lock_guard<std::mutex> lk(mutex_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    threads_.store(1, std::memory_order_relaxed);
  }

  // Takes chunks until none are left or one has failed.
  void work() {
    RegionGuard guard;
    for (;;) {
      if (failed_.load(std::memory_order_relaxed)) return;
      const int64_t lo = next_.fetch_add(chunk_, std::memory_order_relaxed);
      if (lo >= end_) return;
      try {
        (*fn_)(lo, std::min(end_, lo + chunk_));
      } catch (...) {
        std::lock_guard<std::mutex> lk(error_mutex_);
        if (!error_) error_ = std::current_exception();
        failed_.store(true, std::memory_order_relaxed);
      }
    }
  }

  void loop(uint64_t seen) {
    for (;;) {
      // Spin (some tens of microseconds) for the next job before sleeping on the futex.
      uint64_t g = seen;
      for (int spin = 0; spin < 2000; ++spin) {
        g = generation_.load(std::memory_order_acquire);
        if (g != seen) break;
        G4J_CPU_RELAX();
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lk(mutex_);
        wake_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        g = generation_.load(std::memory_order_acquire);
      }
      seen = g;
      {
        std::lock_guard<std::mutex> lk(mutex_);
        if (stop_) return;
      }
      busy_.fetch_add(1, std::memory_order_seq_cst);
      if (!closed_.load(std::memory_order_seq_cst)) work();
      if (busy_.fetch_sub(1, std::memory_order_seq_cst) == 1) {
        std::lock_guard<std::mutex> lk(mutex_);
        done_.notify_all();
      }
    }
  }

  std::mutex job_mutex_;  // one job (and no resize) at a time
  std::mutex mutex_;      // guards sleeping and stop_
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  std::atomic<int> threads_{1};
  std::atomic<uint64_t> generation_{0};
  bool stop_ = false;

  // The current job; written only while closed_ is true and no worker is busy.
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t end_ = 0, chunk_ = 1;
  std::atomic<bool> closed_{true};
  std::atomic<int> busy_{0};
  std::atomic<int64_t> next_{0};
  std::atomic<bool> failed_{false};
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

std::mutex g_pool_mutex;
Pool* g_pool = nullptr;

Pool& pool() {
  std::lock_guard<std::mutex> lk(g_pool_mutex);
  if (!g_pool) g_pool = new Pool(default_threads());
  return *g_pool;
}

}  // namespace

bool in_parallel_region() { return t_in_region; }

void parallel_for(int64_t begin, int64_t end, int64_t grain,
                  const std::function<void(int64_t, int64_t)>& fn) {
  if (end <= begin) return;
  if (t_in_region) {
    fn(begin, end);
    return;
  }
  Pool& p = pool();
  // About four chunks per thread balance uneven chunks without much hand-out traffic.
  const int64_t n = end - begin;
  const int64_t t = p.threads();
  const int64_t chunk = std::max<int64_t>(std::max<int64_t>(grain, 1), (n + 4 * t - 1) / (4 * t));
  const int64_t chunks = (n + chunk - 1) / chunk;
  if (t == 1 || chunks <= 1) {
    fn(begin, end);  // not a region: work nested inside may still use the pool
    return;
  }
  p.run(begin, end, chunk, fn);
}

void set_num_threads(int threads) {
  if (t_in_region) fail(G4J_ERR_INVALID_ARGUMENT, "set_num_threads: called from a pool thread");
  threads = std::max(1, std::min(threads, 1024));
  Pool& p = pool();
  if (p.threads() != threads) p.resize(threads);
}

int num_threads() { return pool().threads(); }

}  // namespace cpu
}  // namespace g4j
