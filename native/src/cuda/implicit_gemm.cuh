// The two implicit-GEMM kernels behind the convolutions, generic over a problem (conv2d.cuh)
// that reads A, gathers B and stores C; both compute in F32.
//
// SIMT (every dtype): the 64 x 64 tile step of tile_gemm.cuh; slices are staged as F32.
//
// Tensor cores (F16/BF16, WMMA 16x16x16 with F32 accumulation), for what the faster mma.sync
// kernels (conv_mma.cu) leave here: kernel sizes other than 1 and 3, strided input gradients,
// shapes beyond their shared memory. A block computes a 64 x 128
// tile from 32-deep slices staged in the storage dtype; its 8 warps form a 2 x 4 grid, each
// owning a 32 x 32 sub-tile = 2 x 2 accumulator fragments. The epilogue goes through a 16 x 16
// F32 scratch tile per warp (reusing the slice memory) because a fragment's element-to-lane
// mapping is unspecified; from there each lane stores through the problem with plain code.
// WMMA needs 32-byte aligned fragment pointers and leading dimensions that are multiples of 16
// bytes: the pitches below keep every fragment origin on a 32-byte boundary.
//
// In both, each thread gathers one fixed column of every B slice, so the column's
// decomposition (sample, pixel) happens once per block.
#pragma once

#include <mma.h>

#include <type_traits>

#include "conv2d.cuh"
#include "tile_gemm.cuh"

namespace g4j {
namespace cuda {

template <typename T, class Problem>
__global__ void __launch_bounds__(kTileThreads) igemm_simt_kernel(Problem prob) {
  __shared__ TileSmem s;
  const int tid = threadIdx.x;
  const int tx = tid % (kTileN / kTileSub), ty = tid / (kTileN / kTileSub);
  const int m0 = blockIdx.y * kTileM;
  const int n0 = blockIdx.x * kTileN;
  const int bn = tid % kTileN, bk0 = tid / kTileN;  // column bn, rows bk0 + 4r of B slices
  const typename Problem::Column column = prob.column(n0 + bn);
  const int k = prob.k();

  float acc[kTileSub][kTileSub] = {};
  for (int k0 = 0; k0 < k; k0 += kTileK) {
#pragma unroll
    for (int r = 0; r < kTileLoads; ++r) {
      const int idx = tid + r * kTileThreads;
      const int am = idx / kTileK, ak = idx % kTileK;  // consecutive threads along k
      s.a[ak][am] = to_f32(prob.a(m0 + am, k0 + ak));
      const int bk = bk0 + r * (kTileThreads / kTileN);
      s.b[bk][bn] = to_f32(prob.b(column, k0 + bk));
    }
    __syncthreads();
    tile_fma(s, acc, ty, tx);
    __syncthreads();  // the slices are overwritten next
  }
#pragma unroll
  for (int i = 0; i < kTileSub; ++i) {
#pragma unroll
    for (int j = 0; j < kTileSub; ++j) {
      prob.store(m0 + ty * kTileSub + i, n0 + tx * kTileSub + j, acc[i][j]);
    }
  }
}

namespace wmma_tile {
constexpr int kBM = 64;        // rows of C per block
constexpr int kBN = 128;       // columns of C per block
constexpr int kBK = 32;        // depth of a slice
constexpr int kThreads = 256;  // 8 warps
constexpr int kWarpsN = 4;     // warps along n (2 along m)
constexpr int kWarpTile = 32;  // each warp: 32 x 32
constexpr int kFrag = 16;
constexpr int kLdA = kBK + 8;  // 40 elements: 16-row steps are 1280 bytes
constexpr int kLdB = kBN + 8;  // 136 elements
constexpr int kBytesA = kBM * kLdA * 2;
constexpr int kBytesB = kBK * kLdB * 2;
constexpr int kBytesScratch = (kThreads / 32) * kFrag * kFrag * 4;
constexpr int kSmemBytes = kBytesA + kBytesB > kBytesScratch ? kBytesA + kBytesB : kBytesScratch;

static_assert(kBytesA % 32 == 0, "the B slice origin must stay 32-byte aligned");
static_assert(kLdA % 8 == 0 && kLdB % 8 == 0, "WMMA leading dimensions: multiples of 8");
static_assert((kBM / kWarpTile) * (kBN / kWarpTile) == kThreads / 32, "one sub-tile per warp");
static_assert(kBM * kBK % kThreads == 0 && kBK * kBN % kThreads == 0, "even slice loads");
}  // namespace wmma_tile

template <typename T, class Problem>
__global__ void __launch_bounds__(wmma_tile::kThreads) igemm_wmma_kernel(Problem prob) {
  using namespace wmma_tile;
  namespace wmma = nvcuda::wmma;
  __shared__ __align__(128) unsigned char smem[kSmemBytes];
  T* as = reinterpret_cast<T*>(smem);               // as[m * kLdA + k]
  T* bs = reinterpret_cast<T*>(smem + kBytesA);     // bs[k * kLdB + n]
  float* scratch = reinterpret_cast<float*>(smem);  // after the k loop only

  const int tid = threadIdx.x;
  const int warp = tid / 32, lane = tid % 32;
  const int wm = warp / kWarpsN, wn = warp % kWarpsN;
  const int m0 = blockIdx.y * kBM;
  const int n0 = blockIdx.x * kBN;
  const int bn = tid % kBN, bk0 = tid / kBN;  // column bn, rows bk0 + 2r of B slices
  const typename Problem::Column column = prob.column(n0 + bn);
  const int k = prob.k();

  wmma::fragment<wmma::accumulator, kFrag, kFrag, kFrag, float> acc[2][2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
#pragma unroll
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
  }

  for (int k0 = 0; k0 < k; k0 += kBK) {
#pragma unroll
    for (int r = 0; r < kBM * kBK / kThreads; ++r) {
      const int idx = tid + r * kThreads;
      const int am = idx / kBK, ak = idx % kBK;  // consecutive threads along k
      as[am * kLdA + ak] = prob.a(m0 + am, k0 + ak);
    }
#pragma unroll
    for (int r = 0; r < kBK * kBN / kThreads; ++r) {
      const int bk = bk0 + r * (kThreads / kBN);
      bs[bk * kLdB + bn] = prob.b(column, k0 + bk);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kBK; kk += kFrag) {
      wmma::fragment<wmma::matrix_a, kFrag, kFrag, kFrag, T, wmma::row_major> fa[2];
      wmma::fragment<wmma::matrix_b, kFrag, kFrag, kFrag, T, wmma::row_major> fb[2];
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        wmma::load_matrix_sync(fa[i], as + (wm * kWarpTile + i * kFrag) * kLdA + kk, kLdA);
      }
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        wmma::load_matrix_sync(fb[j], bs + kk * kLdB + wn * kWarpTile + j * kFrag, kLdB);
      }
#pragma unroll
      for (int i = 0; i < 2; ++i) {
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
      }
    }
    __syncthreads();  // slices (and, after the last one, the scratch) are overwritten next
  }

  float* tile = scratch + warp * kFrag * kFrag;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      wmma::store_matrix_sync(tile, acc[i][j], kFrag, wmma::mem_row_major);
      __syncwarp();
      for (int e = lane; e < kFrag * kFrag; e += 32) {
        const int r = e / kFrag, c = e % kFrag;  // half a warp per row: coalesced columns
        prob.store(m0 + wm * kWarpTile + i * kFrag + r, n0 + wn * kWarpTile + j * kFrag + c,
                   tile[e]);
      }
      __syncwarp();  // the tile is overwritten by the next fragment
    }
  }
}

// Runs `prob` on tensor cores where the dtype and the switch allow, else on the SIMT kernel.
template <typename T, class Problem>
void launch_implicit_gemm(cudaStream_t stream, const Problem& prob, const char* op) {
  constexpr bool kHalf = !std::is_same<T, float>::value;
  const bool tc = kHalf && tensor_cores_enabled();
  const int bm = tc ? wmma_tile::kBM : kTileM;
  const int bn = tc ? wmma_tile::kBN : kTileN;
  const int m_tiles = (prob.m() + bm - 1) / bm;
  if (m_tiles > 65535) {
    fail(G4J_ERR_UNSUPPORTED, "%s: %d output rows (channels) exceed the CUDA grid", op,
         prob.m());
  }
  const dim3 grid((prob.n() + bn - 1) / bn, m_tiles);
  if constexpr (kHalf) {
    if (tc) {
      igemm_wmma_kernel<T, Problem><<<grid, wmma_tile::kThreads, 0, stream>>>(prob);
      LAUNCH_CHECK();
      return;
    }
  }
  igemm_simt_kernel<T, Problem><<<grid, kTileThreads, 0, stream>>>(prob);
  LAUNCH_CHECK();
}

}  // namespace cuda
}  // namespace g4j
