// Shared pieces of the CUDA backend: the check macros that turn every CUDA failure into a
// g4j::Error naming the call, the dtype dispatch, and F32 load/store helpers so each kernel is
// written once for F32, F16 and BF16 storage with F32 arithmetic.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "ops.h"

namespace g4j {
namespace cuda {

// Out-of-memory and missing-device errors get their own status so Java can react to them
// (free caches, fall back to the CPU); everything else is a plain CUDA error.
inline g4j_status status_of(cudaError_t err) {
  switch (err) {
    case cudaErrorMemoryAllocation: return G4J_ERR_OUT_OF_MEMORY;
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorInvalidDevice: return G4J_ERR_NO_DEVICE;
    default: return G4J_ERR_CUDA;
  }
}

// Source file name without its directories: messages stay short and carry no build paths.
inline const char* base_name(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash != nullptr ? slash + 1 : path;
}

// Errors after which the CUDA context is unusable: every later call fails the same way, so the
// message says so (the kernel at fault may be any one enqueued before the reporting call).
inline bool is_sticky(cudaError_t err) {
  switch (err) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorHardwareStackError:
    case cudaErrorAssert: return true;
    default: return false;
  }
}

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* expr, const char* file,
                                          int line) {
  throw Error(status_of(err),
              format("CUDA error %s (%s) in `%s` at %s:%d%s", cudaGetErrorName(err),
                     cudaGetErrorString(err), expr, base_name(file), line,
                     is_sticky(err) ? "; the CUDA context is now unusable, restart the process"
                                    : ""));
}

}  // namespace cuda
}  // namespace g4j

#define CUDA_CHECK(expr)                                                     \
  do {                                                                       \
    cudaError_t g4j_err_ = (expr);                                           \
    if (g4j_err_ != cudaSuccess)                                             \
      ::g4j::cuda::throw_cuda_error(g4j_err_, #expr, __FILE__, __LINE__);    \
  } while (0)

// Launch-configuration errors surface only through cudaGetLastError; faults inside the kernel
// surface on a later call (often the stream synchronisation), which CUDA_CHECK then reports.
#define LAUNCH_CHECK() CUDA_CHECK(cudaGetLastError())

namespace g4j {
namespace cuda {

// api.cpp makes the stream's device current (cuda::set_device) before calling an op.
inline cudaStream_t as_cuda(Stream s) { return static_cast<cudaStream_t>(s); }

// Stream-ordered scratch memory from the current device's pool (runtime.cu), for ops that need
// a small workspace; the guard frees it on the stream on every path out of the op, so the
// memory returns to the pool once the kernels that use it have run.
void* scratch_alloc(cudaStream_t stream, size_t bytes);
void scratch_free(cudaStream_t stream, void* ptr) noexcept;

class Scratch {
 public:
  Scratch(cudaStream_t stream, size_t bytes)
      : stream_(stream), ptr_(scratch_alloc(stream, bytes)) {}
  ~Scratch() { scratch_free(stream_, ptr_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <typename U>
  U* as() const { return static_cast<U*>(ptr_); }

 private:
  cudaStream_t stream_;
  void* ptr_;
};

// ---- dtype dispatch ---------------------------------------------------------------------------

template <typename T>
struct Tag {
  using type = T;
};

// Calls f(Tag<T>{}) with T the storage type of `dtype`.
template <typename F>
void dispatch_dtype(int dtype, F&& f) {
  switch (dtype) {
    case G4J_F32: f(Tag<float>{}); break;
    case G4J_F16: f(Tag<__half>{}); break;
    case G4J_BF16: f(Tag<__nv_bfloat16>{}); break;
    default: fail(G4J_ERR_INTERNAL, "CUDA backend: unknown dtype %d reached dispatch", dtype);
  }
}

__device__ __forceinline__ float to_f32(float v) { return v; }
__device__ __forceinline__ float to_f32(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_f32(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T>
__device__ __forceinline__ T from_f32(float v);
template <>
__device__ __forceinline__ float from_f32<float>(float v) { return v; }
template <>
__device__ __forceinline__ __half from_f32<__half>(float v) { return __float2half_rn(v); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_f32<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

template <typename T>
__device__ __forceinline__ float load_f32(const T* p, int64_t i) { return to_f32(p[i]); }
template <typename T>
__device__ __forceinline__ void store_f32(T* p, int64_t i, float v) { p[i] = from_f32<T>(v); }

// ---- 16-byte vectors for memory-bound kernels ----------------------------------------------------

template <typename T>
struct Vec16 {
  static constexpr int kSize = 16 / sizeof(T);
  T e[kSize];
};

// p must be 16-byte aligned. The bytes travel as one int4 so the access is a single 128-bit
// load/store; memcpy is the aliasing-safe way to reinterpret them.
template <typename T>
__device__ __forceinline__ void load_vec(const T* p, float (&out)[Vec16<T>::kSize]) {
  int4 bits = *reinterpret_cast<const int4*>(p);
  Vec16<T> v;
  memcpy(&v, &bits, sizeof(bits));
#pragma unroll
  for (int k = 0; k < Vec16<T>::kSize; ++k) out[k] = to_f32(v.e[k]);
}

template <typename T>
__device__ __forceinline__ void store_vec(T* p, const float (&in)[Vec16<T>::kSize]) {
  Vec16<T> v;
#pragma unroll
  for (int k = 0; k < Vec16<T>::kSize; ++k) v.e[k] = from_f32<T>(in[k]);
  int4 bits;
  memcpy(&bits, &v, sizeof(bits));
  *reinterpret_cast<int4*>(p) = bits;
}

inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

// ---- dynamic shared memory ----------------------------------------------------------------------

// A kernel's dynamic shared memory (the launch's third argument) as `type* name`; over 48 KiB the
// host opts in first with cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
// bytes). emu.h gives the emulation its own definition.
#ifndef G4J_CUDA_EMULATION
#define G4J_DYNAMIC_SMEM(type, name)                 \
  extern __shared__ __align__(128) unsigned char g4j_dynamic_smem_[]; \
  type* name = reinterpret_cast<type*>(g4j_dynamic_smem_)
#endif

// ---- launch geometry --------------------------------------------------------------------------

constexpr int kElementwiseThreads = 256;

// Blocks for a grid-stride loop over `work` items: enough to fill any current GPU several times
// over, few enough that each thread does a handful of items.
inline unsigned grid_for(int64_t work, int threads = kElementwiseThreads) {
  const int64_t max_blocks = int64_t{1} << 16;
  int64_t blocks = (work + threads - 1) / threads;
  if (blocks < 1) blocks = 1;
  return static_cast<unsigned>(blocks < max_blocks ? blocks : max_blocks);
}

__device__ __forceinline__ int64_t global_thread() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t grid_threads() {
  return static_cast<int64_t>(gridDim.x) * blockDim.x;
}

}  // namespace cuda
}  // namespace g4j
