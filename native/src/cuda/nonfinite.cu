// The non-finite watch (g4j_mark_nonfinite) on the GPU: each block tests a slice of one
// sample's elements by their exponent bits (all ones for a NaN or an infinity in F32, F16 and
// BF16 alike), ORs the answers in shared memory, and its thread 0 marks the sample. Several
// blocks of one sample may mark it in the same call; they write the same step, so the race is
// benign, and an entry that is already a step (or NaN) fails the `< 0` test and is left alone.
#include "common.cuh"

namespace g4j {
namespace cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kPerBlock = int64_t{kThreads} * 16;  // elements each block tests

template <typename U>
__global__ void mark_nonfinite_kernel(int64_t batch, int64_t per_sample, int64_t blocks_per_sample,
                                      const U* x, U exponent, int32_t step, float* first_step) {
  __shared__ unsigned found[kThreads];
  const int64_t total_blocks = batch * blocks_per_sample;
  for (int64_t blk = blockIdx.x; blk < total_blocks; blk += gridDim.x) {
    const int64_t b = blk / blocks_per_sample;
    const int64_t slice = blk - b * blocks_per_sample;
    const int64_t begin = slice * kPerBlock;
    const int64_t end = begin + kPerBlock < per_sample ? begin + kPerBlock : per_sample;
    const U* sample = x + b * per_sample;
    unsigned any = 0;
    for (int64_t i = begin + threadIdx.x; i < end; i += kThreads) {
      any |= (sample[i] & exponent) == exponent;
    }
    found[threadIdx.x] = any;
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) found[threadIdx.x] |= found[threadIdx.x + half];
      __syncthreads();
    }
    if (threadIdx.x == 0 && found[0] != 0 && first_step[b] < 0.0f) {
      first_step[b] = static_cast<float>(step);
    }
    __syncthreads();  // found[] is reused by the next block of this loop
  }
}

template <typename U>
void launch(cudaStream_t stream, const MarkNonfiniteArgs& a, U exponent) {
  const int64_t blocks_per_sample = (a.per_sample + kPerBlock - 1) / kPerBlock;
  const int64_t total = a.batch * blocks_per_sample;
  const int64_t max_blocks = int64_t{1} << 16;
  const unsigned grid = static_cast<unsigned>(total < max_blocks ? total : max_blocks);
  mark_nonfinite_kernel<U><<<grid, kThreads, 0, stream>>>(
      a.batch, a.per_sample, blocks_per_sample, static_cast<const U*>(a.x), exponent, a.step,
      a.first_step);
  LAUNCH_CHECK();
}

}  // namespace

void mark_nonfinite(Stream s, const MarkNonfiniteArgs& a) {
  cudaStream_t stream = as_cuda(s);
  if (a.batch <= 0 || a.per_sample <= 0) return;
  switch (a.dtype) {
    case G4J_F32: launch<uint32_t>(stream, a, 0x7f800000u); break;
    case G4J_F16: launch<uint16_t>(stream, a, uint16_t{0x7c00}); break;
    case G4J_BF16: launch<uint16_t>(stream, a, uint16_t{0x7f80}); break;
    default: fail(G4J_ERR_INTERNAL, "CUDA backend: unknown dtype %d reached mark_nonfinite", a.dtype);
  }
}

}  // namespace cuda
}  // namespace g4j
