// Counter-based normal noise: one thread per group of four elements of one sample, through the
// Philox4x32-10 + Box-Muller definition in philox.h that the CPU backend uses too, so a seed
// gives the same image on either backend and for any batch split.
#include "common.cuh"
#include "philox.h"

namespace g4j {
namespace cuda {
namespace {

template <typename T>
__global__ void randn_kernel(uint64_t seed, uint32_t stream_id, int64_t first_sample,
                             int64_t n_samples, int64_t per_sample, T* out) {
  const int64_t quads = (per_sample + 3) / 4;  // Philox calls per sample
  const int64_t total = n_samples * quads;
  for (int64_t q = global_thread(); q < total; q += grid_threads()) {
    const int64_t j = q / quads;
    const int64_t quad = q - j * quads;
    float z[4];
    randn4(seed, stream_id, static_cast<uint64_t>(first_sample + j), static_cast<uint64_t>(quad),
           z);
    T* dst = out + j * per_sample;
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const int64_t e = quad * 4 + k;
      if (e < per_sample) dst[e] = from_f32<T>(z[k]);
    }
  }
}

template <typename T>
void launch_randn(cudaStream_t stream, const RandnArgs& a) {
  const int64_t total = a.n_samples * ((a.per_sample + 3) / 4);
  randn_kernel<T><<<grid_for(total), kElementwiseThreads, 0, stream>>>(
      a.seed, a.stream_id, a.first_sample, a.n_samples, a.per_sample, static_cast<T*>(a.out));
  LAUNCH_CHECK();
}

}  // namespace

void randn(Stream s, const RandnArgs& a) {
  if (a.n_samples <= 0 || a.per_sample <= 0) return;
  dispatch_dtype(a.dtype, [&](auto tag) {
    launch_randn<typename decltype(tag)::type>(as_cuda(s), a);
  });
}

}  // namespace cuda
}  // namespace g4j
