// The non-finite watch (g4j_mark_nonfinite): a test of the exponent bits, which are all ones for
// a NaN or an infinity in F32, F16 and BF16 alike, so any dtype is checked without converting.
// Work is split into chunks of one sample each, so a single huge tensor (a checkpoint's weight
// checked at load) uses every thread as well as a batch of small samples does.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

#include "../ops.h"
#include "thread_pool.h"

namespace g4j {
namespace cpu {
namespace {

constexpr int64_t kChunk = int64_t{1} << 16;  // elements per task
constexpr int64_t kBlock = 4096;              // elements tested between early exits

// Whether any of the n elements of bit width U has all bits of `exponent` set. The inner loop
// is a branch-free OR reduction the compiler vectorises.
template <typename U>
bool any_nonfinite(const void* data, int64_t n, U exponent) {
  const U* p = static_cast<const U*>(data);
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t end = std::min(n, start + kBlock);
    unsigned found = 0;
    for (int64_t i = start; i < end; ++i) found |= (p[i] & exponent) == exponent;
    if (found) return true;
  }
  return false;
}

bool chunk_nonfinite(int dtype, const void* x, int64_t first, int64_t n) {
  const char* base = static_cast<const char*>(x);
  switch (dtype) {
    case G4J_F32: return any_nonfinite<uint32_t>(base + first * 4, n, 0x7f800000u);
    case G4J_F16: return any_nonfinite<uint16_t>(base + first * 2, n, 0x7c00u);
    default: return any_nonfinite<uint16_t>(base + first * 2, n, 0x7f80u);  // BF16
  }
}

}  // namespace

void mark_nonfinite(const MarkNonfiniteArgs& a) {
  if (a.batch <= 0 || a.per_sample <= 0) return;
  const int64_t chunks = (a.per_sample + kChunk - 1) / kChunk;
  std::unique_ptr<std::atomic<bool>[]> bad(new std::atomic<bool>[a.batch]);
  for (int64_t b = 0; b < a.batch; ++b) bad[b].store(false, std::memory_order_relaxed);
  parallel_for(0, a.batch * chunks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t b = t / chunks;
      if (bad[b].load(std::memory_order_relaxed)) continue;  // one bad element is enough
      const int64_t start = (t - b * chunks) * kChunk;
      const int64_t n = std::min(kChunk, a.per_sample - start);
      if (chunk_nonfinite(a.dtype, a.x, b * a.per_sample + start, n)) {
        bad[b].store(true, std::memory_order_relaxed);
      }
    }
  });
  for (int64_t b = 0; b < a.batch; ++b) {
    // NaN < 0 is false: an entry that is NaN (or already a step) is never overwritten
    if (bad[b].load(std::memory_order_relaxed) && a.first_step[b] < 0.0f) {
      a.first_step[b] = static_cast<float>(a.step);
    }
  }
}

}  // namespace cpu
}  // namespace g4j
