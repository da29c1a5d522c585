// CPU emulation of the CUDA features the backend's kernels use, so their unmodified source can
// run (slowly) where there is no GPU and be checked by g4j_smoke (see run_smoke.sh).
//
// Model: blocks run one after another; each CUDA thread of a block is a std::thread; shared
// memory is a function-local static (one copy, used by one block at a time); __syncthreads is a
// barrier over the block. Warp shuffles and __syncwarp also use that block-wide barrier, which
// is exact for this backend because every kernel calls them uniformly across the block. A WMMA
// fragment holds its whole 16 x 16 tile in every lane (the API's semantics, not the hardware's
// register layout), and misaligned fragment pointers abort, as they would fault on a GPU.
//
// What this cannot catch: races that the real memory model exposes, warp-divergence bugs,
// resource limits (registers, shared memory, grid size) and performance. It is a check of the
// index arithmetic and the algorithms, not a substitute for running on a GPU.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <tuple>
#include <type_traits>

#undef __global__
#define __global__
#undef __device__
#define __device__
#undef __host__
#define __host__
#undef __forceinline__
#define __forceinline__ inline
#undef __shared__
#define __shared__ static
#undef __launch_bounds__
#define __launch_bounds__(...)

// Kernels and headers that differ under emulation (mma.cuh's tensor-core primitives) test this.
#define G4J_CUDA_EMULATION 1

extern thread_local uint3 threadIdx, blockIdx;
extern thread_local dim3 blockDim, gridDim;

namespace emu {

void syncthreads();
double shfl_xor(double v, int lane_mask);
// Every thread of the block calls it; `all` receives the `bytes` (at most kExchangeBytes) that
// each of the 32 lanes of the caller's warp passed in `mine`, in lane order.
constexpr size_t kExchangeBytes = 64;
void warp_exchange(const void* mine, void* all, size_t bytes);
int lane_id();
// Aborts, as the misaligned access would fault on a GPU.
void check_aligned(const void* p, size_t alignment, const char* what);
// The block's dynamic shared memory (the launch's third argument), 128-byte aligned.
unsigned char* dynamic_smem();
void run_grid(dim3 grid, dim3 block, size_t smem, const std::function<void()>& body);

// kernel<<<grid, block, smem, stream>>>(args) is rewritten to emu::cfg(kernel, grid, block,
// smem, stream)(args) by xform.py; the arguments are converted to the kernel's parameter types
// once and copied into every thread, as a launch does.
template <class... P>
struct Launch {
  void (*kernel)(P...);
  dim3 grid, block;
  size_t smem;
  template <class... A>
  void operator()(A&&... a) const {
    std::tuple<P...> args(std::forward<A>(a)...);
    run_grid(grid, block, smem, [&] { std::apply(kernel, args); });
  }
};

template <class... P>
Launch<P...> cfg(void (*kernel)(P...), dim3 grid, dim3 block, size_t smem = 0,
                 cudaStream_t = nullptr) {
  return {kernel, grid, block, smem};
}

}  // namespace emu

#define G4J_DYNAMIC_SMEM(type, name) type* name = reinterpret_cast<type*>(emu::dynamic_smem())

inline void __syncthreads() { emu::syncthreads(); }
inline void __syncwarp(unsigned = 0xffffffffu) { emu::syncthreads(); }
// Through a double: exact for float and double alike.
inline float __shfl_xor_sync(unsigned, float v, int lane_mask) {
  return static_cast<float>(emu::shfl_xor(v, lane_mask));
}
inline double __shfl_xor_sync(unsigned, double v, int lane_mask) {
  return emu::shfl_xor(v, lane_mask);
}

namespace nvcuda {
namespace wmma {

struct row_major {};
struct col_major {};
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
enum layout_t { mem_row_major, mem_col_major };

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
  static_assert(M == 16 && N == 16 && K == 16, "emulated: m16n16k16 only");
  float v[256];  // row-major 16 x 16 tile
};

inline float emu_f32(float x) { return x; }
inline float emu_f32(__half x) { return __half2float(x); }
inline float emu_f32(__nv_bfloat16 x) { return __bfloat162float(x); }

inline void emu_check(const void* p, unsigned ldm, size_t elem) {
  if (reinterpret_cast<uintptr_t>(p) % 32 != 0 || (ldm * elem) % 16 != 0) {
    std::fprintf(stderr, "emulated WMMA: misaligned pointer %p or ldm %u\n", p, ldm);
    std::abort();
  }
}

template <class F>
void fill_fragment(F& f, float x) {
  for (float& e : f.v) e = x;
}

template <class Use, class T, class L>
void load_matrix_sync(fragment<Use, 16, 16, 16, T, L>& f, const T* p, unsigned ldm) {
  static_assert(std::is_same<L, row_major>::value, "emulated: row_major only");
  emu_check(p, ldm, sizeof(T));
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < 16; ++c) f.v[r * 16 + c] = emu_f32(p[r * ldm + c]);
}

template <class T, class LA, class LB>
void mma_sync(fragment<accumulator, 16, 16, 16, float>& d,
              const fragment<matrix_a, 16, 16, 16, T, LA>& a,
              const fragment<matrix_b, 16, 16, 16, T, LB>& b,
              const fragment<accumulator, 16, 16, 16, float>& c) {
  float t[256];
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 16; ++n) {
      float s = c.v[m * 16 + n];
      for (int k = 0; k < 16; ++k) s += a.v[m * 16 + k] * b.v[k * 16 + n];
      t[m * 16 + n] = s;
    }
  std::memcpy(d.v, t, sizeof t);
}

inline void store_matrix_sync(float* p, const fragment<accumulator, 16, 16, 16, float>& f,
                              unsigned ldm, layout_t layout) {
  if (layout != mem_row_major) {
    std::fprintf(stderr, "emulated WMMA: mem_row_major only\n");
    std::abort();
  }
  emu_check(p, ldm, sizeof(float));
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < 16; ++c) p[r * ldm + c] = f.v[r * 16 + c];
}

}  // namespace wmma
}  // namespace nvcuda
