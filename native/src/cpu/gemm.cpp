// gemm and linear: thin wrappers over the SGEMM engine (sgemm.cpp).
#include <algorithm>
#include <vector>

#include "../ops.h"
#include "sgemm.h"
#include "thread_pool.h"

namespace g4j {
namespace cpu {

void gemm(const GemmArgs& g) {
  const float* a = static_cast<const float*>(g.a);
  const float* b = static_cast<const float*>(g.b);
  float* c = static_cast<float*>(g.c);
  auto one = [&](int64_t i) {
    sgemm(g.trans_a != 0, g.trans_b != 0, g.m, g.n, g.k, g.alpha, a + i * g.stride_a, g.lda,
          b + i * g.stride_b, g.ldb, g.beta, c + i * g.stride_c, g.ldc);
  };
  // Parallel over the batch only when the outputs are disjoint: overlapping C must be written
  // in order.
  const double flops = 2.0 * double(g.m) * double(g.n) * double(g.k);
  const bool disjoint = g.stride_c >= (g.m - 1) * g.ldc + g.n;
  if (g.batch > 1 && disjoint && g.stride_a == 0) {
    // One A for the whole batch: pack it once and run the products as jobs of one call.
    std::vector<GemmJob> jobs(size_t(g.batch));
    for (int64_t i = 0; i < g.batch; ++i) {
      GemmJob& j = jobs[size_t(i)];
      j.b.kind = g.trans_b ? BSource::kMatrixT : BSource::kMatrix;
      j.b.data = b + i * g.stride_b;
      j.b.ld = g.ldb;
      j.c = c + i * g.stride_c;
      j.ldc = g.ldc;
      j.epi.alpha = g.alpha;
      j.epi.beta = g.beta;
    }
    sgemm_jobs(g.trans_a != 0, g.m, g.n, g.k, a, g.lda, jobs.data(), g.batch);
  } else if (g.batch > 1 && disjoint && flops < 8e6) {
    // Many small products (attention-like batches) run one per thread.
    const int64_t grain = std::max<int64_t>(1, int64_t(1e6 / (flops + 1.0)));
    parallel_for(0, g.batch, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) one(i);
    });
  } else {
    for (int64_t i = 0; i < g.batch; ++i) one(i);
  }
}

void linear(const LinearArgs& l) {
  GemmJob job;
  job.b.kind = BSource::kMatrixT;  // weight (out, in) read as W^T
  job.b.data = static_cast<const float*>(l.weight);
  job.b.ld = l.in_features;
  job.c = static_cast<float*>(l.out);
  job.ldc = l.out_features;
  job.epi.col_bias = static_cast<const float*>(l.bias);
  sgemm_jobs(false, l.rows, l.out_features, l.in_features, static_cast<const float*>(l.x),
             l.in_features, &job, 1);
}

}  // namespace cpu
}  // namespace g4j
