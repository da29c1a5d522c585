// The register-blocked inner step shared by the GEMM and the implicit-GEMM convolution.
//
// A block of 256 threads computes a 64 x 64 tile of C from 16-deep slices of A (64 x 16) and
// B (16 x 64) staged in shared memory as F32; each thread owns a 4 x 4 sub-tile (rows
// 4*ty .. 4*ty+3, columns 4*tx .. 4*tx+3 with tx = tid % 16, ty = tid / 16), so every k step is
// two 16-byte shared loads feeding 16 FMAs. The kernels differ only in how they fill the slices
// (strided, transposed, or gathered from an image) and in their epilogue.
#pragma once

#include "common.cuh"

namespace g4j {
namespace cuda {

constexpr int kTileM = 64;
constexpr int kTileN = 64;
constexpr int kTileK = 16;
constexpr int kTileThreads = 256;
constexpr int kTileSub = 4;  // rows and columns per thread
// Row pitch of the staged slices: +4 floats spreads the column-wise stores of a transposed
// load over more banks and keeps every row 16-byte aligned for the float4 reads.
constexpr int kTilePitch = kTileM + 4;
// Elements of one slice each thread loads: 64 * 16 / 256.
constexpr int kTileLoads = kTileM * kTileK / kTileThreads;

static_assert(kTileM == kTileN, "the slices share one pitch");
static_assert(kTileThreads == (kTileM / kTileSub) * (kTileN / kTileSub), "one sub-tile per thread");

struct alignas(16) TileSmem {
  float a[kTileK][kTilePitch];  // a[kk][m] = A[m0 + m, k0 + kk]
  float b[kTileK][kTilePitch];  // b[kk][n] = B[k0 + kk, n0 + n]
};

// acc[i][j] += sum_kk A[4*ty + i, kk] * B[kk, 4*tx + j] over the staged slices.
__device__ __forceinline__ void tile_fma(const TileSmem& s, float (&acc)[kTileSub][kTileSub],
                                         int ty, int tx) {
#pragma unroll
  for (int kk = 0; kk < kTileK; ++kk) {
    const float4 av = *reinterpret_cast<const float4*>(&s.a[kk][ty * kTileSub]);
    const float4 bv = *reinterpret_cast<const float4*>(&s.b[kk][tx * kTileSub]);
    const float ar[kTileSub] = {av.x, av.y, av.z, av.w};
    const float br[kTileSub] = {bv.x, bv.y, bv.z, bv.w};
#pragma unroll
    for (int i = 0; i < kTileSub; ++i) {
#pragma unroll
      for (int j = 0; j < kTileSub; ++j) acc[i][j] = fmaf(ar[i], br[j], acc[i][j]);
    }
  }
}

}  // namespace cuda
}  // namespace g4j
