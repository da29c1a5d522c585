// What the tensor-core kernels (gemm_mma.cuh, igemm_mma.cuh) share around their main loops: the
// description of the output C with the additions fused into its store (bias, residual, beta C),
// split-K over a float32 workspace with its reduction, and the device limits that size launches.
//
// C is m x n per batch entry z, with its columns in groups: column n is element j = n % cpg of
// group g = n / cpg, stored at c[z * c_batch + g * c_group + row * ldc + j]. A plain GEMM has one
// group (cpg = n); a convolution's columns are the output pixels of all images, one group per
// image (cpg = Ho * Wo, c_group = Cout * Ho * Wo, ldc = Ho * Wo), so NCHW output is written in
// place without a transpose.
#pragma once

#include <atomic>

#include "common.cuh"

namespace g4j {
namespace cuda {

struct MmaOut {
  void* c;
  int64_t ldc, c_group, c_batch;
  int cpg;              // columns per group
  int m, n, batch;
  float alpha, beta;    // v = alpha * acc + row_bias + col_bias + residual + beta * C
  const void* row_bias; // [m] or NULL
  const void* col_bias; // [n] or NULL
  const void* residual; // indexed like C, or NULL; may alias c (each element is read, then
                        // written, by the same thread)
  bool pair_ok;         // elements j, j+1 (j even) of a group may move as one 4-byte word

  __device__ __forceinline__ int64_t index(int z, int row, int g, int j) const {
    return z * c_batch + g * c_group + row * ldc + j;
  }

  template <typename T>
  __device__ __forceinline__ float finish(int64_t idx, int row, int col, float acc) const {
    float v = alpha * acc;
    if (row_bias != nullptr) v += to_f32(static_cast<const T*>(row_bias)[row]);
    if (col_bias != nullptr) v += to_f32(static_cast<const T*>(col_bias)[col]);
    if (residual != nullptr) v += to_f32(static_cast<const T*>(residual)[idx]);
    if (beta != 0.0f) v += beta * to_f32(static_cast<const T*>(c)[idx]);  // 0: C is never read
    return v;
  }

  // One element at column `col` = g * cpg + j.
  template <typename T>
  __device__ __forceinline__ void store(int z, int row, int g, int j, int col, float acc) const {
    const int64_t idx = index(z, row, g, j);
    static_cast<T*>(c)[idx] = from_f32<T>(finish<T>(idx, row, col, acc));
  }

  // Columns col and col + 1 (j even; the second only when `two`, and then in the same group).
  template <typename T>
  __device__ __forceinline__ void store_pair(int z, int row, int g, int j, int col, float a0,
                                             float a1, bool two) const {
    const int64_t idx = index(z, row, g, j);
    T* out = static_cast<T*>(c);
    if (two && pair_ok) {
      // Both read before either is written: residual may alias out.
      const float v0 = finish<T>(idx, row, col, a0), v1 = finish<T>(idx + 1, row, col + 1, a1);
      if constexpr (sizeof(T) == 2) {
        T pair[2] = {from_f32<T>(v0), from_f32<T>(v1)};
        uint32_t bits;
        memcpy(&bits, pair, 4);
        *reinterpret_cast<uint32_t*>(out + idx) = bits;
      } else {
        out[idx] = v0;
        out[idx + 1] = v1;
      }
      return;
    }
    out[idx] = from_f32<T>(finish<T>(idx, row, col, a0));
    if (two) out[idx + 1] = from_f32<T>(finish<T>(idx + 1, row, col + 1, a1));
  }
};

// Split-K: `splits` blocks share one output tile, each summing a range of k; their float32
// partial sums go to a dense workspace ws[split][z][row][col], and split_k_reduce adds them up
// in a fixed order (deterministic) and applies the epilogue.
__device__ __forceinline__ int64_t split_index(const MmaOut& o, int split, int z, int row,
                                               int col) {
  return ((static_cast<int64_t>(split) * o.batch + z) * o.m + row) * o.n + col;
}

// Enqueues the reduction of `splits` partial sums in `ws` into o.
void split_k_reduce(cudaStream_t stream, int dtype, const MmaOut& o, const float* ws, int splits);

// How many ways to split k: the fewest that fill the GPU's block slots well, weighed against
// the workspace traffic and the extra launch. `ctas` blocks without splitting, each running
// `k_steps` main-loop steps, `slots` blocks resident at once. G4J_CUDA_SPLIT_K=<n> forces n
// (a tuning and test knob; read on every call).
int choose_split_k(int64_t ctas, int k_steps, int64_t slots, double flops, int64_t out_elems);

// Limits of the current device, queried once per device.
struct DeviceLimits {
  int sms;                // multiprocessors
  int smem_block_optin;   // bytes of shared memory one block may opt in to
  int smem_sm;            // bytes of shared memory per multiprocessor
};
const DeviceLimits& device_limits();

// Blocks of a kernel resident per multiprocessor, from its shared memory (registers are capped
// by the kernels' __launch_bounds__ at `max_by_regs` blocks).
int blocks_per_sm(const DeviceLimits& lim, size_t smem_bytes, int max_by_regs);

// Raises `kernel`'s dynamic shared memory limit to the device's opt-in maximum, once per device
// (`done` is the kernel's own flag word, one bit per device).
void allow_dynamic_smem(const void* kernel, std::atomic<uint64_t>* done);

}  // namespace cuda
}  // namespace g4j
