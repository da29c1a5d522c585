// Batched row-major GEMM (C = alpha op(A) op(B) + beta C) and linear (x W^T + bias) on the
// shared 64 x 64 tile step of tile_gemm.cuh. Slices are loaded so that consecutive threads read
// consecutive addresses: along k for a row-major A and a transposed B, along m / n otherwise.
// The block walks the batch (gridDim.z) and the row tiles (gridDim.y) in strided loops, so any
// batch and any m fit the grid limits.
#include <algorithm>
#include <climits>

#include "tile_gemm.cuh"
#include "vendor.h"

namespace g4j {
namespace cuda {
namespace {

struct GemmParams {
  int64_t m, n, k;
  float alpha;
  const void* a; int64_t lda, stride_a;
  const void* b; int64_t ldb, stride_b;
  float beta;
  void* c; int64_t ldc, stride_c, batch;
  const void* bias;  // per column of C (linear), or NULL
};

// TA: A is stored k x m (op(A) = A^T); TB: B is stored n x k.
template <typename T, bool TA, bool TB>
__global__ void __launch_bounds__(kTileThreads, 2) gemm_kernel(GemmParams p) {
  __shared__ TileSmem s;
  const int tid = threadIdx.x;
  const int tx = tid % (kTileN / kTileSub), ty = tid / (kTileN / kTileSub);
  const int64_t m_tiles = (p.m + kTileM - 1) / kTileM;
  const int64_t n0 = static_cast<int64_t>(blockIdx.x) * kTileN;
  const T* bias = static_cast<const T*>(p.bias);

  for (int64_t z = blockIdx.z; z < p.batch; z += gridDim.z) {
    const T* A = static_cast<const T*>(p.a) + z * p.stride_a;
    const T* B = static_cast<const T*>(p.b) + z * p.stride_b;
    T* C = static_cast<T*>(p.c) + z * p.stride_c;

    for (int64_t mt = blockIdx.y; mt < m_tiles; mt += gridDim.y) {
      const int64_t m0 = mt * kTileM;
      float acc[kTileSub][kTileSub] = {};

      for (int64_t k0 = 0; k0 < p.k; k0 += kTileK) {
#pragma unroll
        for (int r = 0; r < kTileLoads; ++r) {
          const int idx = tid + r * kTileThreads;
          // A slice: 64 rows (m) x 16 (k).
          const int am = TA ? idx % kTileM : idx / kTileK;
          const int ak = TA ? idx / kTileM : idx % kTileK;
          const int64_t gm = m0 + am, gk = k0 + ak;
          float av = 0.0f;
          if (gm < p.m && gk < p.k) av = to_f32(TA ? A[gk * p.lda + gm] : A[gm * p.lda + gk]);
          s.a[ak][am] = av;
          // B slice: 16 (k) x 64 columns (n).
          const int bk = TB ? idx % kTileK : idx / kTileN;
          const int bn = TB ? idx / kTileK : idx % kTileN;
          const int64_t hk = k0 + bk, gn = n0 + bn;
          float bv = 0.0f;
          if (hk < p.k && gn < p.n) bv = to_f32(TB ? B[gn * p.ldb + hk] : B[hk * p.ldb + gn]);
          s.b[bk][bn] = bv;
        }
        __syncthreads();
        tile_fma(s, acc, ty, tx);
        __syncthreads();  // the slices are overwritten next
      }

#pragma unroll
      for (int i = 0; i < kTileSub; ++i) {
        const int64_t row = m0 + ty * kTileSub + i;
        if (row >= p.m) continue;
#pragma unroll
        for (int j = 0; j < kTileSub; ++j) {
          const int64_t col = n0 + tx * kTileSub + j;
          if (col >= p.n) continue;
          float v = p.alpha * acc[i][j];
          if (bias != nullptr) v += to_f32(bias[col]);
          T* cp = C + row * p.ldc + col;
          if (p.beta != 0.0f) v += p.beta * to_f32(*cp);  // beta == 0: C is never read
          *cp = from_f32<T>(v);
        }
      }
    }
  }
}

template <typename T, bool TA, bool TB>
void launch_gemm_t(cudaStream_t stream, const GemmParams& p) {
  const int64_t n_tiles = (p.n + kTileN - 1) / kTileN;
  const int64_t m_tiles = (p.m + kTileM - 1) / kTileM;
  if (n_tiles > INT_MAX) {
    fail(G4J_ERR_UNSUPPORTED, "gemm: n = %lld exceeds the CUDA grid",
         static_cast<long long>(p.n));
  }
  const dim3 grid(static_cast<unsigned>(n_tiles),
                  static_cast<unsigned>(std::min<int64_t>(m_tiles, 65535)),
                  static_cast<unsigned>(std::min<int64_t>(p.batch, 65535)));
  gemm_kernel<T, TA, TB><<<grid, kTileThreads, 0, stream>>>(p);
  LAUNCH_CHECK();
}

template <typename T>
void launch_gemm(cudaStream_t stream, bool trans_a, bool trans_b, const GemmParams& p) {
  if (trans_a) {
    if (trans_b) launch_gemm_t<T, true, true>(stream, p);
    else launch_gemm_t<T, true, false>(stream, p);
  } else {
    if (trans_b) launch_gemm_t<T, false, true>(stream, p);
    else launch_gemm_t<T, false, false>(stream, p);
  }
}

}  // namespace

void gemm(Stream s, const GemmArgs& g) {
  if (g.m <= 0 || g.n <= 0 || g.batch <= 0) return;
  if (vendor::try_gemm(s, g)) return;  // cuBLASLt when loaded and switched on (vendor.h)
  // k == 0: op(A) op(B) is the zero matrix, which the kernel produces (no k iterations).
  const GemmParams p{g.m, g.n, g.k, g.alpha, g.a, g.lda, g.stride_a, g.b, g.ldb, g.stride_b,
                     g.beta, g.c, g.ldc, g.stride_c, g.batch, nullptr};
  dispatch_dtype(g.dtype, [&](auto tag) {
    launch_gemm<typename decltype(tag)::type>(as_cuda(s), g.trans_a != 0, g.trans_b != 0, p);
  });
}

void linear(Stream s, const LinearArgs& l) {
  if (l.rows <= 0 || l.out_features <= 0) return;
  if (vendor::try_linear(s, l)) return;  // cuBLASLt when loaded and switched on (vendor.h)
  // out (rows x out) = x (rows x in) . W^T, W stored (out x in): a GEMM with B transposed.
  const GemmParams p{l.rows, l.out_features, l.in_features, 1.0f, l.x, l.in_features, 0,
                     l.weight, l.in_features, 0, 0.0f, l.out, l.out_features, 0, 1, l.bias};
  dispatch_dtype(l.dtype, [&](auto tag) {
    launch_gemm<typename decltype(tag)::type>(as_cuda(s), false, true, p);
  });
}

}  // namespace cuda
}  // namespace g4j
