// Tensor-core GEMM for F16/BF16 (mma.sync m16n8k16, F32 accumulation): C = A . B with A stored
// m x k or (TA) k x m, B stored k x n or (TB) n x k, any leading dimensions, a batch, column
// groups (mma_out.cuh: a 1x1 convolution's pixels of all images are one GEMM's columns) and the
// fused epilogue of MmaOut. Used by gemm, linear and the 1x1 convolutions.
//
// A block of 4 warps computes a 64 x 256 tile of C, each warp a 64 x 64 slice (4 x 8 mma tiles,
// 128 F32 accumulators per thread): with 64 x 64 per warp every 16-deep step loads 8 ldmatrix.x4
// (4 for A, 4 for B) for 32 mma, about one shared-memory wavefront per mma, which leaves the
// tensor cores, not shared memory, the limit. 64 rows (not 128) because the networks' output
// channels are multiples of 64 but mostly not of 128 (192, 576, 1728).
//
// Slices 32 deep stream through a 4-stage cp.async pipeline in dynamic shared memory (87-100 KiB:
// two blocks per SM). Each operand is staged as it lies in memory, rows padded by 16 bytes so that
// the 8 rows an ldmatrix reads fall in distinct bank groups, and read by ldmatrix or
// ldmatrix.trans as its layout requires (mma.cuh documents both). A 16-byte chunk that is not
// aligned or not wholly inside the matrix (tails, odd leading dimensions) is loaded element by
// element instead, so any shape is correct and aligned shapes take the fast path.
#pragma once

#include <type_traits>

#include "mma.cuh"
#include "mma_out.cuh"

namespace g4j {
namespace cuda {
namespace mma_gemm {

constexpr int kBM = 64;
constexpr int kBN = 256;
constexpr int kBK = 32;
constexpr int kThreads = 128;
constexpr int kStages = 4;
constexpr int kPad = 8;  // elements (16 bytes) added to every staged row

// Staged slice sizes in elements, by layout.
constexpr int kAElems = kBM * (kBK + kPad) > kBK * (kBM + kPad) ? kBM * (kBK + kPad)
                                                                 : kBK * (kBM + kPad);
constexpr int kBElems = kBN * (kBK + kPad) > kBK * (kBN + kPad) ? kBN * (kBK + kPad)
                                                                 : kBK * (kBN + kPad);
constexpr int kStageElems = kAElems + kBElems;
constexpr size_t kSmemBytes = size_t{kStages} * kStageElems * 2;

struct Params {
  int m, n, k, batch;
  const void* a;
  int64_t lda, a_batch;
  const void* b;
  int64_t ldb, b_batch;
  int64_t b_group;  // B's offset between column groups (not TB: one group there)
  bool a_vec, b_vec;  // 16-byte cp.async allowed (alignment of base, strides and groups)
  int k_tiles, k_tiles_per_split, m_tiles;
  MmaOut out;
  float* ws;  // split-K partials, or NULL
};

// Element (r, kk) of A and (kk, col) of B with bounds; 0 outside.
template <typename T, bool TA>
__device__ __forceinline__ T a_at(const Params& p, const T* a, int r, int kk) {
  if (r >= p.m || kk >= p.k) return from_f32<T>(0.0f);
  return TA ? a[static_cast<int64_t>(kk) * p.lda + r] : a[static_cast<int64_t>(r) * p.lda + kk];
}
template <typename T, bool TB>
__device__ __forceinline__ T b_at(const Params& p, const T* b, int kk, int col) {
  if (col >= p.n || kk >= p.k) return from_f32<T>(0.0f);
  if (TB) return b[static_cast<int64_t>(col) * p.ldb + kk];
  const int g = col / p.out.cpg, j = col - g * p.out.cpg;
  return b[g * p.b_group + static_cast<int64_t>(kk) * p.ldb + j];
}

template <typename T, bool TA, bool TB>
__global__ void __launch_bounds__(kThreads, 2) gemm_mma_kernel(Params p) {
  G4J_DYNAMIC_SMEM(T, smem);
  constexpr int kLdA = TA ? kBM + kPad : kBK + kPad;  // staged row pitches (elements)
  constexpr int kLdB = TB ? kBK + kPad : kBN + kPad;

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int m_tile = static_cast<int>(blockIdx.x % p.m_tiles);
  const int n_tile = static_cast<int>(blockIdx.x / p.m_tiles);
  const int m0 = m_tile * kBM, n0 = n_tile * kBN;
  const int z = blockIdx.z, split = blockIdx.y;
  const T* A = static_cast<const T*>(p.a) + z * p.a_batch;
  const T* B = static_cast<const T*>(p.b) + z * p.b_batch;

  // The B chunk column of this thread when B is k x n (fixed for the whole k loop): the 8
  // columns n0 + 8 * (tid % 32) ..., their group offset, and whether they lie in one group.
  const int b_col = n0 + 8 * (tid % 32);
  int64_t b_col_off = 0;
  bool b_col_whole = false;
  if (!TB) {
    const int g = b_col / p.out.cpg, j = b_col - g * p.out.cpg;
    b_col_off = g * p.b_group + j;
    b_col_whole = b_col + 8 <= p.n && j + 8 <= p.out.cpg;
  }

  // Copies slice `kt` into stage buffer `buf`: 16-byte cp.async where aligned and inside, zero
  // fill where wholly outside, element loads otherwise.
  auto load = [&](int kt, int buf) {
    T* as = smem + buf * kStageElems;
    T* bs = as + kAElems;
    const int k0 = kt * kBK;
#pragma unroll
    for (int it = 0; it < kBM * kBK / 8 / kThreads; ++it) {
      const int id = tid + it * kThreads;
      // TA: 32 k rows x 8 chunks of m; else 64 m rows x 4 chunks of k
      const int r = TA ? id / (kBM / 8) : id / (kBK / 8);
      const int c8 = 8 * (TA ? id % (kBM / 8) : id % (kBK / 8));
      T* dst = as + r * kLdA + c8;
      const int row = TA ? m0 + c8 : m0 + r, kk = TA ? k0 + r : k0 + c8;
      const bool whole = TA ? (row + 8 <= p.m && kk < p.k) : (row < p.m && kk + 8 <= p.k);
      const bool none = TA ? (row >= p.m || kk >= p.k) : (row >= p.m || kk >= p.k);
      if (p.a_vec && (whole || none)) {
        const T* src = whole ? (TA ? A + static_cast<int64_t>(kk) * p.lda + row
                                   : A + static_cast<int64_t>(row) * p.lda + kk)
                             : A;
        mma::cp_async_16(dst, src, whole);
      } else {
#pragma unroll
        for (int e = 0; e < 8; ++e) {
          dst[e] = TA ? a_at<T, TA>(p, A, row + e, kk) : a_at<T, TA>(p, A, row, kk + e);
        }
      }
    }
#pragma unroll
    for (int it = 0; it < kBN * kBK / 8 / kThreads; ++it) {
      const int id = tid + it * kThreads;
      if (TB) {  // 256 n rows x 4 chunks of k
        const int r = id / (kBK / 8), c8 = 8 * (id % (kBK / 8));
        T* dst = bs + r * kLdB + c8;
        const int col = n0 + r, kk = k0 + c8;
        const bool whole = col < p.n && kk + 8 <= p.k, none = col >= p.n || kk >= p.k;
        if (p.b_vec && (whole || none)) {
          mma::cp_async_16(dst, whole ? B + static_cast<int64_t>(col) * p.ldb + kk : B, whole);
        } else {
#pragma unroll
          for (int e = 0; e < 8; ++e) dst[e] = b_at<T, TB>(p, B, kk + e, col);
        }
      } else {  // 32 k rows x 32 chunks of n; this thread's chunk column is b_col
        const int r = id / (kBN / 8);
        T* dst = bs + r * kLdB + 8 * (tid % 32);
        const int kk = k0 + r;
        const bool whole = b_col_whole && kk < p.k, none = b_col >= p.n || kk >= p.k;
        if (p.b_vec && (whole || none)) {
          mma::cp_async_16(dst, whole ? B + b_col_off + static_cast<int64_t>(kk) * p.ldb : B,
                           whole);
        } else {
#pragma unroll
          for (int e = 0; e < 8; ++e) dst[e] = b_at<T, TB>(p, B, kk, b_col + e);
        }
      }
    }
  };

  // Lane roles in the ldmatrix.x4 loads: matrix mi = lane / 8, its row lr = lane % 8.
  const int mi = lane / 8, lr = lane % 8;

  float acc[4][8][4];
#pragma unroll
  for (int i = 0; i < 4; ++i) {
#pragma unroll
    for (int j = 0; j < 8; ++j) {
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;
    }
  }

  const int kt_begin = split * p.k_tiles_per_split;
  const int kt_end =
      kt_begin + p.k_tiles_per_split < p.k_tiles ? kt_begin + p.k_tiles_per_split : p.k_tiles;
  const int count = kt_end - kt_begin;

#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < count) load(kt_begin + s, s);
    mma::cp_async_commit();  // empty groups keep the wait count uniform
  }

  for (int t = 0; t < count; ++t) {
    mma::cp_async_wait<kStages - 2>();  // slice t has landed (this thread's copies) ...
    __syncthreads();  // ... and everyone's; all are done with the buffer refilled next
    if (t + kStages - 1 < count) load(kt_begin + t + kStages - 1, (t + kStages - 1) % kStages);
    mma::cp_async_commit();

    const T* as = smem + (t % kStages) * kStageElems;
    const T* bs = as + kAElems;
#pragma unroll
    for (int kk = 0; kk < kBK; kk += 16) {
      uint32_t a[4][4], b[8][2];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        // quarters in the order of a[]: (rows 0-7 | 8-15) x (k 0-7 | 8-15), rows first
        const int r = i * 16 + (mi % 2) * 8, c = kk + (mi / 2) * 8;
        if (TA) {
          mma::ldmatrix_x4_trans(a[i], as + (c + lr) * kLdA + r);
        } else {
          mma::ldmatrix_x4(a[i], as + (r + lr) * kLdA + c);
        }
      }
#pragma unroll
      for (int jj = 0; jj < 4; ++jj) {
        uint32_t r4[4];
        const int nb = warp * 64 + jj * 16;
        if (TB) {
          // matrices (n 0-7, k 0-7), (n 0-7, k 8-15), (n 8-15, k 0-7), (n 8-15, k 8-15)
          mma::ldmatrix_x4(r4, bs + (nb + (mi / 2) * 8 + lr) * kLdB + kk + (mi % 2) * 8);
        } else {
          // the same four, read transposed from k-major rows
          mma::ldmatrix_x4_trans(r4, bs + (kk + (mi % 2) * 8 + lr) * kLdB + nb + (mi / 2) * 8);
        }
        b[2 * jj][0] = r4[0];
        b[2 * jj][1] = r4[1];
        b[2 * jj + 1][0] = r4[2];
        b[2 * jj + 1][1] = r4[3];
      }
#pragma unroll
      for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 8; ++j) mma::mma_16816<T>(acc[i][j], a[i], b[j], acc[i][j]);
      }
    }
  }
  mma::cp_async_wait<0>();  // no copy may still target shared memory when the block exits

  // Epilogue straight from the accumulators: c[0..1] = (row g, cols 2q, 2q+1), c[2..3] = row g+8.
  const int g = lane / 4, q = lane % 4;
  const MmaOut& o = p.out;
#pragma unroll
  for (int j = 0; j < 8; ++j) {
    const int col = n0 + warp * 64 + j * 8 + 2 * q;
    if (col >= o.n) continue;
    const int grp = col / o.cpg, jc = col - grp * o.cpg;
    const bool two = col + 1 < o.n && jc + 1 < o.cpg;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int row = m0 + i * 16 + h * 8 + g;
        if (row >= o.m) continue;
        const float v0 = acc[i][j][2 * h], v1 = acc[i][j][2 * h + 1];
        if (p.ws != nullptr) {
          const int64_t w = split_index(o, split, z, row, col);
          p.ws[w] = v0;
          if (col + 1 < o.n) p.ws[w + 1] = v1;
        } else {
          o.store_pair<T>(z, row, grp, jc, col, v0, v1, two);
          if (!two && col + 1 < o.n) {  // the next column starts a new group
            o.store<T>(z, row, grp + 1, 0, col + 1, v1);
          }
        }
      }
    }
  }
}

}  // namespace mma_gemm

// Runs C = A . B (+ epilogue) on tensor cores, split over k when the tiles alone would leave the
// GPU idle. p.out, the operands, m, n, k and batch must be set; the rest is filled in here.
// `dtype` is G4J_F16 or G4J_BF16.
void launch_gemm_mma(cudaStream_t stream, int dtype, bool trans_a, bool trans_b,
                     mma_gemm::Params p);

}  // namespace cuda
}  // namespace g4j
