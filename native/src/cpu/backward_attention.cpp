// The gradient of self-attention with respect to q, k and v. A task takes one (sample, head)
// and walks the queries in blocks, holding only a block x tokens slice of the scores:
//   P    = softmax(scale * Q_blk^T K)           (recomputed, rows = queries)
//   dS   = P * (dO_blk^T V - rowsum(P * dO_blk^T V))
//   dV  += dO_blk P,   dK += scale * Q_blk dS,   dQ_blk = scale * K dS^T
// dV and dK accumulate across blocks straight in dqkv (the first block overwrites). With fewer
// (sample, head) pairs than threads the pairs run one after another and each GEMM is threaded
// instead.
#include <algorithm>
#include <limits>

#include "../ops.h"
#include "scratch.h"
#include "sgemm.h"
#include "thread_pool.h"
#include "vec.h"

namespace g4j {
namespace cpu {
namespace {

// Softmax of each row of s (rows x cols) in place.
void row_softmax(float* s, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = s + r * cols;
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < cols; ++j) mx = std::max(mx, row[j]);
    const vf vmx = vset1(mx);
    vf acc = vzero();
    int64_t j = 0;
    for (; j + kLanes <= cols; j += kLanes) {
      const vf e = vexp(vsub(vload(row + j), vmx));
      vstore(row + j, e);
      acc = vadd(acc, e);
    }
    float sum = vsum(acc);
    for (; j < cols; ++j) {
      row[j] = exp_poly(row[j] - mx);
      sum += row[j];
    }
    const float inv = 1.0f / sum;
    for (j = 0; j < cols; ++j) row[j] *= inv;
  }
}

}  // namespace

void attention_backward(const AttentionBackwardArgs& a) {
  const int64_t heads = a.heads, dim = a.head_dim, tokens = a.tokens;
  const int layout = a.layout;
  const float* qkv = static_cast<const float*>(a.qkv);
  const float* dout = static_cast<const float*>(a.dout);
  float* dqkv = static_cast<float*>(a.dqkv);
  // Channel stride of q, k and v within one head (1 except EDM2's interleaved (D, 3) layout).
  const int64_t cstride =
      qkv_channel(layout, 0, 0, 1, heads, dim) - qkv_channel(layout, 0, 0, 0, heads, dim);
  const int64_t ld = cstride * tokens;
  int64_t block = std::min<int64_t>(128, std::max<int64_t>(32, (int64_t(1) << 17) / tokens));
  block = std::min(block, tokens);

  auto head = [&](int64_t bh) {
    const int64_t b = bh / heads, h = bh % heads;
    const int64_t sample = b * 3 * heads * dim * tokens;
    const int64_t oq = qkv_channel(layout, 0, h, 0, heads, dim) * tokens;
    const int64_t ok = qkv_channel(layout, 1, h, 0, heads, dim) * tokens;
    const int64_t ov = qkv_channel(layout, 2, h, 0, heads, dim) * tokens;
    const float* q = qkv + sample + oq;
    const float* k = qkv + sample + ok;
    const float* v = qkv + sample + ov;
    float* dq = dqkv + sample + oq;
    float* dk = dqkv + sample + ok;
    float* dv = dqkv + sample + ov;
    const float* dO = dout + (b * heads + h) * dim * tokens;  // D x T, row stride tokens
    float* p = scratch(kScratchAttention, size_t(2 * block * tokens));
    float* ds = p + block * tokens;
    for (int64_t t0 = 0; t0 < tokens; t0 += block) {
      const int64_t nq = std::min(block, tokens - t0);
      const float beta = t0 == 0 ? 0.0f : 1.0f;
      sgemm(true, false, nq, tokens, dim, a.scale, q + t0, ld, k, ld, 0.0f, p, tokens);
      row_softmax(p, nq, tokens);
      sgemm(true, false, nq, tokens, dim, 1.0f, dO + t0, tokens, v, ld, 0.0f, ds, tokens);
      for (int64_t r = 0; r < nq; ++r) {
        const float* pr = p + r * tokens;
        float* dr = ds + r * tokens;
        double delta = 0.0;
        for (int64_t s = 0; s < tokens; ++s) delta += double(pr[s]) * double(dr[s]);
        const float d = float(delta);
        for (int64_t s = 0; s < tokens; ++s) dr[s] = pr[s] * (dr[s] - d);
      }
      sgemm(false, false, dim, tokens, nq, 1.0f, dO + t0, tokens, p, tokens, beta, dv, ld);
      sgemm(false, false, dim, tokens, nq, a.scale, q + t0, ld, ds, tokens, beta, dk, ld);
      sgemm(false, true, dim, nq, tokens, a.scale, k, ld, ds, tokens, 0.0f, dq + t0, ld);
    }
  };

  const int64_t pairs = a.batch * heads;
  if (in_parallel_region() || pairs < num_threads()) {
    for (int64_t bh = 0; bh < pairs; ++bh) head(bh);
  } else {
    parallel_for(0, pairs, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t bh = lo; bh < hi; ++bh) head(bh);
    });
  }
}

}  // namespace cpu
}  // namespace g4j
