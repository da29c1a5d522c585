// Host side of the tensor-core GEMM (gemm_mma.cuh): tiling, the alignment checks that choose
// 16-byte copies, split-K and the launch.
#include <climits>

#include "gemm_mma.cuh"

namespace g4j {
namespace cuda {
namespace {

bool aligned_to(const void* ptr, size_t bytes) {
  return reinterpret_cast<uintptr_t>(ptr) % bytes == 0;
}

template <typename T, bool TA, bool TB>
void launch_t(cudaStream_t stream, const mma_gemm::Params& p, int splits) {
  using namespace mma_gemm;
  static std::atomic<uint64_t> smem_set{0};
  auto kernel = gemm_mma_kernel<T, TA, TB>;
  allow_dynamic_smem(reinterpret_cast<const void*>(kernel), &smem_set);
  const dim3 grid(static_cast<unsigned>(static_cast<int64_t>(p.m_tiles) *
                                        ((p.n + kBN - 1) / kBN)),
                  static_cast<unsigned>(splits), static_cast<unsigned>(p.batch));
  kernel<<<grid, kThreads, kSmemBytes, stream>>>(p);
  LAUNCH_CHECK();
}

template <typename T>
void launch_layout(cudaStream_t stream, bool ta, bool tb, const mma_gemm::Params& p,
                   int splits) {
  if (ta) {
    if (tb) launch_t<T, true, true>(stream, p, splits);
    else launch_t<T, true, false>(stream, p, splits);
  } else {
    if (tb) launch_t<T, false, true>(stream, p, splits);
    else launch_t<T, false, false>(stream, p, splits);
  }
}

}  // namespace

void launch_gemm_mma(cudaStream_t stream, int dtype, bool trans_a, bool trans_b,
                     mma_gemm::Params p) {
  using namespace mma_gemm;
  if (p.m <= 0 || p.n <= 0 || p.batch <= 0) return;
  if (trans_b && p.out.cpg < p.n) {
    fail(G4J_ERR_INTERNAL, "gemm_mma: column groups need B stored k x n");
  }
  p.m_tiles = (p.m + kBM - 1) / kBM;
  const int64_t n_tiles = (p.n + kBN - 1) / kBN;
  if (p.m_tiles * n_tiles > INT_MAX || p.batch > 65535) {
    fail(G4J_ERR_UNSUPPORTED, "gemm: %d x %d x %d (batch %d) exceeds the CUDA grid", p.m, p.n,
         p.k, p.batch);
  }
  p.k_tiles = (p.k + kBK - 1) / kBK;
  // 16-byte copies need 16-byte aligned chunks: base, leading dimension, batch and group strides.
  const bool single_group = p.out.cpg >= p.n;
  p.a_vec = aligned_to(p.a, 16) && p.lda % 8 == 0 && p.a_batch % 8 == 0;
  p.b_vec = aligned_to(p.b, 16) && p.ldb % 8 == 0 && p.b_batch % 8 == 0 &&
            (single_group || (p.out.cpg % 8 == 0 && p.b_group % 8 == 0));
  MmaOut& o = p.out;
  o.pair_ok = aligned_to(o.c, 4) && (o.residual == nullptr || aligned_to(o.residual, 4)) &&
              o.ldc % 2 == 0 && o.c_batch % 2 == 0 && o.cpg % 2 == 0 &&
              (single_group || o.c_group % 2 == 0);

  const DeviceLimits& lim = device_limits();
  const int64_t ctas = p.m_tiles * n_tiles * p.batch;
  const int64_t slots = static_cast<int64_t>(lim.sms) * blocks_per_sm(lim, kSmemBytes, 2);
  const int64_t out_elems = static_cast<int64_t>(p.m) * p.n * p.batch;
  const double flops = 2.0 * kBM * kBN * static_cast<double>(p.k_tiles) * kBK * ctas;
  int splits = p.k_tiles > 0 ? choose_split_k(ctas, p.k_tiles, slots, flops, out_elems) : 1;
  p.k_tiles_per_split = p.k_tiles > 0 ? (p.k_tiles + splits - 1) / splits : 0;
  if (p.k_tiles > 0) splits = (p.k_tiles + p.k_tiles_per_split - 1) / p.k_tiles_per_split;

  if (splits == 1) {
    p.ws = nullptr;
    if (dtype == G4J_F16) launch_layout<__half>(stream, trans_a, trans_b, p, 1);
    else launch_layout<__nv_bfloat16>(stream, trans_a, trans_b, p, 1);
    return;
  }
  Scratch ws(stream, static_cast<size_t>(splits) * out_elems * sizeof(float));
  p.ws = ws.as<float>();
  if (dtype == G4J_F16) launch_layout<__half>(stream, trans_a, trans_b, p, splits);
  else launch_layout<__nv_bfloat16>(stream, trans_a, trans_b, p, splits);
  split_k_reduce(stream, dtype, p.out, p.ws, splits);
}

}  // namespace cuda
}  // namespace g4j
