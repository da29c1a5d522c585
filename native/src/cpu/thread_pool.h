// The CPU backend's one thread pool: workers are created once (sized by G4J_NUM_THREADS or the
// machine's core count) and the calling thread joins in, so `num_threads()` threads compute.
#pragma once

#include <cstdint>
#include <functional>

namespace g4j {
namespace cpu {

// Calls fn(lo, hi) over disjoint sub-ranges covering [begin, end), each at least `grain` long
// (except the last), in parallel. Returns when all have finished; the first exception thrown
// by any call is rethrown here. A call made from inside fn (nested parallelism) runs on the
// calling thread alone; calls from different threads take turns on the pool.
void parallel_for(int64_t begin, int64_t end, int64_t grain,
                  const std::function<void(int64_t, int64_t)>& fn);

// True on a thread that is currently running work of a parallel_for.
bool in_parallel_region();

}  // namespace cpu
}  // namespace g4j
