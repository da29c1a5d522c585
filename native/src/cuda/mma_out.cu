// Split-K reduction, the split heuristic and device limits for the tensor-core kernels
// (mma_out.cuh).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <mutex>

#include "mma_out.cuh"

namespace g4j {
namespace cuda {
namespace {

// One output element per thread: the partial sums in split order, then the epilogue.
template <typename T>
__global__ void split_k_reduce_kernel(MmaOut o, const float* ws, int splits) {
  const int64_t per_batch = static_cast<int64_t>(o.m) * o.n;
  const int64_t total = per_batch * o.batch;
  for (int64_t e = global_thread(); e < total; e += grid_threads()) {
    float acc = 0.0f;
    for (int s = 0; s < splits; ++s) acc += ws[s * total + e];
    const int z = static_cast<int>(e / per_batch);
    const int64_t rem = e - z * per_batch;
    const int row = static_cast<int>(rem / o.n);
    const int col = static_cast<int>(rem - static_cast<int64_t>(row) * o.n);
    const int g = col / o.cpg;
    o.store<T>(z, row, g, col - g * o.cpg, col, acc);
  }
}

}  // namespace

void split_k_reduce(cudaStream_t stream, int dtype, const MmaOut& o, const float* ws,
                    int splits) {
  const int64_t total = static_cast<int64_t>(o.m) * o.n * o.batch;
  dispatch_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    split_k_reduce_kernel<T><<<grid_for(total), kElementwiseThreads, 0, stream>>>(o, ws, splits);
    LAUNCH_CHECK();
  });
}

int choose_split_k(int64_t ctas, int k_steps, int64_t slots, double flops, int64_t out_elems) {
  const int most = std::max(1, std::min(8, k_steps / 2));  // at least 2 steps per split
  if (const char* v = std::getenv("G4J_CUDA_SPLIT_K"); v != nullptr && *v != '\0') {
    const int forced = std::atoi(v);
    if (forced >= 1) return std::min(forced, std::max(1, k_steps));
  }
  // Modelled time: whole waves of blocks at a typical mma.sync rate, plus the workspace written
  // and read back (float32 partials) and one more launch. Rough on purpose: it only has to tell
  // "one wave of too few blocks" from "enough blocks".
  constexpr double kFlops = 250e12, kBytes = 2.5e12, kLaunch = 4e-6;
  slots = std::max<int64_t>(slots, 1);
  int best = 1;
  double best_time = 0.0;
  for (int s = 1; s <= most; ++s) {
    const double waves = std::ceil(static_cast<double>(ctas) * s / slots);
    const double per_block = flops / (static_cast<double>(ctas) * s) / (kFlops / slots);
    double t = waves * per_block;
    if (s > 1) t += 2.0 * s * 4.0 * static_cast<double>(out_elems) / kBytes + kLaunch;
    if (s == 1 || t < best_time * 0.97) {  // a split must win clearly
      best = s;
      best_time = t;
    }
  }
  return best;
}

const DeviceLimits& device_limits() {
  static std::mutex mutex;
  static DeviceLimits cache[64];
  static bool known[64] = {};
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  if (device < 0 || device >= 64) fail(G4J_ERR_UNSUPPORTED, "CUDA device %d: more than 64", device);
  std::lock_guard<std::mutex> lock(mutex);
  if (!known[device]) {
    DeviceLimits& l = cache[device];
    CUDA_CHECK(cudaDeviceGetAttribute(&l.sms, cudaDevAttrMultiProcessorCount, device));
    CUDA_CHECK(cudaDeviceGetAttribute(&l.smem_block_optin,
                                      cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    CUDA_CHECK(cudaDeviceGetAttribute(&l.smem_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor,
                                      device));
    known[device] = true;
  }
  return cache[device];
}

int blocks_per_sm(const DeviceLimits& lim, size_t smem_bytes, int max_by_regs) {
  // The runtime reserves 1 KiB of shared memory per resident block.
  const int by_smem = static_cast<int>(lim.smem_sm / (smem_bytes + 1024));
  return std::max(1, std::min(by_smem, max_by_regs));
}

void allow_dynamic_smem(const void* kernel, std::atomic<uint64_t>* done) {
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  const uint64_t bit = uint64_t{1} << (device & 63);
  if ((done->load(std::memory_order_acquire) & bit) != 0) return;
  CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  device_limits().smem_block_optin));
  done->fetch_or(bit, std::memory_order_release);
}

}  // namespace cuda
}  // namespace g4j
