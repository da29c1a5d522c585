// What GroupNorm's forward and backward kernels share: one block per (sample, group), whose
// elements are one contiguous run of (channels / groups) * spatial values, and the group's
// statistics computed in two passes (sum, then squared deviations) so they cannot cancel the
// way E[x^2] - E[x]^2 does when |mean| >> std. Sums accumulate in FP64: the kernels are
// memory-bound, so the wider adds cost nothing measurable.
#pragma once

#include "common.cuh"

namespace g4j {
namespace cuda {

constexpr int kGroupThreads = 256;

// Sum over the block, returned to every thread. `red` holds one partial per warp.
__device__ __forceinline__ double block_sum(double v, double* red) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // an earlier call may still be reading red
  if (lane == 0) red[warp] = v;
  __syncthreads();
  v = lane < kGroupThreads / 32 ? red[lane] : 0.0;
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

struct GroupStats {
  float mean, rstd;
};

// Biased variance, eps inside the square root, as the forward op defines them. I indexes
// within the group: 32-bit whenever it fits, since per-element 64-bit division is slow.
template <typename T, typename I>
__device__ GroupStats group_stats(const T* x, I count, float eps, double* red) {
  double sum = 0.0;
  for (I i = threadIdx.x; i < count; i += kGroupThreads) sum += to_f32(x[i]);
  const double mean = block_sum(sum, red) / static_cast<double>(count);
  double sq = 0.0;
  for (I i = threadIdx.x; i < count; i += kGroupThreads) {
    const double d = to_f32(x[i]) - mean;
    sq += d * d;
  }
  const double var = block_sum(sq, red) / static_cast<double>(count);
  return GroupStats{static_cast<float>(mean),
                    static_cast<float>(1.0 / sqrt(var + static_cast<double>(eps)))};
}

// Blocks for batch * groups, checked against the grid limit.
inline unsigned group_blocks(int64_t batch, int64_t groups, const char* op) {
  const int64_t blocks = batch * groups;
  if (blocks > 0x7fffffff) {
    fail(G4J_ERR_UNSUPPORTED, "%s: batch * groups = %lld exceeds the CUDA grid", op,
         static_cast<long long>(blocks));
  }
  return static_cast<unsigned>(blocks);
}

// Whether a group's element count fits the 32-bit index path (with room for the stride step).
inline bool group_fits_32(int64_t channels, int64_t groups, int64_t spatial) {
  return channels / groups * spatial <= static_cast<int64_t>(UINT32_MAX) - kGroupThreads;
}

}  // namespace cuda
}  // namespace g4j
