// Warp-level tensor-core building blocks for the hand-written kernels (implicit-GEMM convolution,
// GEMM, attention): PTX mma.sync m16n8k16 (F16/BF16 inputs, F32 accumulation), ldmatrix and
// cp.async. Each is documented by the register layout the PTX ISA specifies, because kernels
// index fragments directly (softmax on accumulators, epilogues without a shared-memory round
// trip). Under the CPU emulation (emu.h defines G4J_CUDA_EMULATION) the same functions are
// implemented from those layouts, so a kernel's fragment arithmetic is checked against the
// float64 references without a GPU.
//
// Layouts. lane = threadIdx.x % 32, g = lane / 4, q = lane % 4. A 32-bit register holds two
// 16-bit elements, the lower-addressed (first) one in the low half.
//   A  (16 x 16, row-major, m x k): a[0] = (row g,   cols 2q, 2q+1)   a[1] = (row g+8, cols 2q, 2q+1)
//                                   a[2] = (row g,   cols 2q+8, +9)   a[3] = (row g+8, cols 2q+8, +9)
//   B  (16 x 8, k x n):             b[0] = (rows 2q, 2q+1, col g)     b[1] = (rows 2q+8, 2q+9, col g)
//   C, D (16 x 8, F32):             c[0], c[1] = (row g, cols 2q, 2q+1)
//                                   c[2], c[3] = (row g+8, cols 2q, 2q+1)
// ldmatrix (8 x 8 matrices of 16-bit elements, each row 16 contiguous bytes in shared memory):
//   .x4: lanes 8i .. 8i+7 give the addresses of rows 0..7 of matrix i; register i of lane l
//   receives row l/4, columns 2(l%4), 2(l%4)+1 of matrix i. .x2 uses lanes 0..15 (matrices 0, 1),
//   .x1 lanes 0..7. .trans delivers the transpose: register i of lane l holds rows 2(l%4) and
//   2(l%4)+1 of column l/4. So an A fragment is one .x4 over its four 8 x 8 quarters (rows 0-7 /
//   8-15 x cols 0-7 / 8-15 in the order of a[]), and a B fragment stored k-major (row k, col n)
//   is one .x2.trans.
// cp.async: 16 bytes global -> shared, asynchronous until cp_async_wait; both addresses 16-byte
//   aligned. `full == false` reads nothing and zero-fills the 16 bytes (masked tails), but the
//   source address must still be a valid one (pass the tensor's base).
//
// Every function here is warp-collective except cp.async: all 32 lanes of the warp call it
// together (under emulation the exchange even spans the whole block, so kernels call them
// uniformly across the block, as tiled GEMM kernels do anyway).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <cstring>

namespace g4j {
namespace cuda {
namespace mma {

// Two floats rounded to T (__half or __nv_bfloat16) and packed low-first into one register.
template <typename T>
__device__ __forceinline__ uint32_t pack2(float lo, float hi);
template <>
__device__ __forceinline__ uint32_t pack2<__half>(float lo, float hi) {
  __half2 v = __floats2half2_rn(lo, hi);
  uint32_t r;
  memcpy(&r, &v, 4);
  return r;
}
template <>
__device__ __forceinline__ uint32_t pack2<__nv_bfloat16>(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  uint32_t r;
  memcpy(&r, &v, 4);
  return r;
}

__device__ __forceinline__ float widen(__half v) { return __half2float(v); }
__device__ __forceinline__ float widen(__nv_bfloat16 v) { return __bfloat162float(v); }

// The two elements of a packed register as floats.
template <typename T>
__device__ __forceinline__ float unpack_lo(uint32_t r) {
  T v;
  const uint16_t bits = static_cast<uint16_t>(r & 0xffffu);
  memcpy(&v, &bits, 2);
  return widen(v);
}
template <typename T>
__device__ __forceinline__ float unpack_hi(uint32_t r) {
  T v;
  const uint16_t bits = static_cast<uint16_t>(r >> 16);
  memcpy(&v, &bits, 2);
  return widen(v);
}

#ifndef G4J_CUDA_EMULATION

// d = a * b + c, m16n8k16, T = __half or __nv_bfloat16, F32 accumulate (d may alias c).
template <typename T>
__device__ __forceinline__ void mma_16816(float (&d)[4], const uint32_t (&a)[4],
                                          const uint32_t (&b)[2], const float (&c)[4]);
template <>
__device__ __forceinline__ void mma_16816<__half>(float (&d)[4], const uint32_t (&a)[4],
                                                  const uint32_t (&b)[2], const float (&c)[4]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
      "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};\n"
      : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]),
        "f"(c[2]), "f"(c[3]));
}
template <>
__device__ __forceinline__ void mma_16816<__nv_bfloat16>(float (&d)[4], const uint32_t (&a)[4],
                                                         const uint32_t (&b)[2],
                                                         const float (&c)[4]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
      "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};\n"
      : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]),
        "f"(c[2]), "f"(c[3]));
}

__device__ __forceinline__ uint32_t smem_address(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* row) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_address(row)));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* row) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_address(row)));
}
__device__ __forceinline__ void ldmatrix_x2(uint32_t (&r)[2], const void* row) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];\n"
               : "=r"(r[0]), "=r"(r[1])
               : "r"(smem_address(row)));
}
__device__ __forceinline__ void ldmatrix_x2_trans(uint32_t (&r)[2], const void* row) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];\n"
               : "=r"(r[0]), "=r"(r[1])
               : "r"(smem_address(row)));
}

__device__ __forceinline__ void cp_async_16(void* smem, const void* gmem, bool full) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_address(smem)),
               "l"(gmem), "r"(full ? 16 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
// Waits until at most `kPending` committed groups of this thread are still in flight.
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

#else  // G4J_CUDA_EMULATION: the same contracts, computed from the documented layouts.

template <typename T>
void mma_16816(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2],
               const float (&c)[4]) {
  struct Lane {
    uint32_t a[4], b[2];
  };
  const Lane mine{{a[0], a[1], a[2], a[3]}, {b[0], b[1]}};
  Lane all[32];
  emu::warp_exchange(&mine, all, sizeof(Lane));
  float am[16][16], bm[16][8];
  for (int l = 0; l < 32; ++l) {
    const int g = l / 4, q = l % 4;
    const Lane& x = all[l];
    am[g][2 * q] = unpack_lo<T>(x.a[0]);
    am[g][2 * q + 1] = unpack_hi<T>(x.a[0]);
    am[g + 8][2 * q] = unpack_lo<T>(x.a[1]);
    am[g + 8][2 * q + 1] = unpack_hi<T>(x.a[1]);
    am[g][2 * q + 8] = unpack_lo<T>(x.a[2]);
    am[g][2 * q + 9] = unpack_hi<T>(x.a[2]);
    am[g + 8][2 * q + 8] = unpack_lo<T>(x.a[3]);
    am[g + 8][2 * q + 9] = unpack_hi<T>(x.a[3]);
    bm[2 * q][g] = unpack_lo<T>(x.b[0]);
    bm[2 * q + 1][g] = unpack_hi<T>(x.b[0]);
    bm[2 * q + 8][g] = unpack_lo<T>(x.b[1]);
    bm[2 * q + 9][g] = unpack_hi<T>(x.b[1]);
  }
  const int lane = emu::lane_id(), g = lane / 4, q = lane % 4;
  const int rows[4] = {g, g, g + 8, g + 8}, cols[4] = {2 * q, 2 * q + 1, 2 * q, 2 * q + 1};
  float out[4];
  for (int e = 0; e < 4; ++e) {
    float s = c[e];
    for (int k = 0; k < 16; ++k) s += am[rows[e]][k] * bm[k][cols[e]];
    out[e] = s;
  }
  for (int e = 0; e < 4; ++e) d[e] = out[e];
}

// Shared by every ldmatrix form: `matrices` 8 x 8 matrices, rows addressed by lanes 8i .. 8i+7.
template <int kMatrices>
void emu_ldmatrix(uint32_t* r, const void* row, bool trans) {
  emu::check_aligned(row, 16, "ldmatrix row");
  const void* rows[32];
  emu::warp_exchange(&row, rows, sizeof(row));
  const int lane = emu::lane_id();
  for (int i = 0; i < kMatrices; ++i) {
    uint16_t e[2];
    for (int h = 0; h < 2; ++h) {
      // element (r, c) of matrix i is column c of the row lane 8i + r addressed
      const int rr = trans ? 2 * (lane % 4) + h : lane / 4;
      const int cc = trans ? lane / 4 : 2 * (lane % 4) + h;
      memcpy(&e[h], static_cast<const unsigned char*>(rows[8 * i + rr]) + 2 * cc, 2);
    }
    r[i] = static_cast<uint32_t>(e[0]) | (static_cast<uint32_t>(e[1]) << 16);
  }
}
inline void ldmatrix_x4(uint32_t (&r)[4], const void* row) { emu_ldmatrix<4>(r, row, false); }
inline void ldmatrix_x4_trans(uint32_t (&r)[4], const void* row) { emu_ldmatrix<4>(r, row, true); }
inline void ldmatrix_x2(uint32_t (&r)[2], const void* row) { emu_ldmatrix<2>(r, row, false); }
inline void ldmatrix_x2_trans(uint32_t (&r)[2], const void* row) { emu_ldmatrix<2>(r, row, true); }

// Synchronous here: the emulation cannot catch a missing cp_async_wait (nor any other race).
inline void cp_async_16(void* smem, const void* gmem, bool full) {
  emu::check_aligned(smem, 16, "cp.async shared address");
  emu::check_aligned(gmem, 16, "cp.async global address");
  if (full) {
    memcpy(smem, gmem, 16);
  } else {
    memset(smem, 0, 16);
  }
}
inline void cp_async_commit() {}
template <int kPending>
void cp_async_wait() {}

#endif

}  // namespace mma
}  // namespace cuda
}  // namespace g4j
