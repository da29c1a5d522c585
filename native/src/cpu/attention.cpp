// Self-attention. A task takes one (sample, head) and a run of query blocks; it packs K^T and V
// once, then for each block of queries works on the transposed scores S^T (tokens x block) so
// that every step reads memory contiguously:
//   S^T = scale * K^T Q_blk            (SGEMM with K^T pre-packed)
//   P   = softmax over each column of S^T, in F32 with the column max subtracted; the lanes of a
//         vector hold different queries, so max, exp and sum vectorise without reductions
//   O_blk = V P, then each column is divided by its softmax sum (D x block, cheaper than P)
// Memory per task is tokens x (block + 2 head_dim) floats, from a per-thread scratch buffer.
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

// Column softmax of s (rows x cols, row stride cols) in place; inv_sum[j] = 1 / sum of column j.
void column_softmax(float* s, int64_t rows, int64_t cols, float* col_max, float* inv_sum) {
  for (int64_t j = 0; j < cols; ++j) {
    col_max[j] = -std::numeric_limits<float>::infinity();
    inv_sum[j] = 0.0f;
  }
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = s + r * cols;
    int64_t j = 0;
    for (; j + kLanes <= cols; j += kLanes) {
      vstore(col_max + j, vmax(vload(row + j), vload(col_max + j)));
    }
    for (; j < cols; ++j) col_max[j] = row[j] > col_max[j] ? row[j] : col_max[j];
  }
  for (int64_t r = 0; r < rows; ++r) {
    float* row = s + r * cols;
    int64_t j = 0;
    for (; j + kLanes <= cols; j += kLanes) {
      const vf e = vexp(vsub(vload(row + j), vload(col_max + j)));
      vstore(row + j, e);
      vstore(inv_sum + j, vadd(vload(inv_sum + j), e));
    }
    for (; j < cols; ++j) {
      const float e = exp_poly(row[j] - col_max[j]);
      row[j] = e;
      inv_sum[j] += e;
    }
  }
  for (int64_t j = 0; j < cols; ++j) inv_sum[j] = 1.0f / inv_sum[j];
}

}  // namespace

void attention(const AttentionArgs& a) {
  const int64_t heads = a.heads, dim = a.head_dim, tokens = a.tokens;
  const int layout = a.layout;
  const float* qkv = static_cast<const float*>(a.qkv);
  float* out = static_cast<float*>(a.out);
  // Channel stride of q, k and v within one head (1 except EDM2's interleaved (D, 3) layout).
  const int64_t cstride =
      qkv_channel(layout, 0, 0, 1, heads, dim) - qkv_channel(layout, 0, 0, 0, heads, dim);
  const int64_t ld = cstride * tokens;

  // A block of 32..128 queries, fewer when tokens is large, so S^T stays near L2-sized.
  int64_t block = std::min<int64_t>(128, std::max<int64_t>(32, (int64_t(1) << 18) / tokens));
  block = std::min(block, tokens);
  const int64_t qblocks = (tokens + block - 1) / block;
  // Enough tasks for every thread, but as few as possible: each packs K and V again.
  const int64_t heads_total = a.batch * heads;
  const int64_t threads = in_parallel_region() ? 1 : num_threads();
  const int64_t runs = std::min(qblocks, (2 * threads + heads_total - 1) / heads_total);
  const size_t kfloats = packed_a_floats(tokens, dim), vfloats = packed_a_floats(dim, tokens);

  parallel_for(0, heads_total * runs, 1, [&](int64_t lo, int64_t hi) {
    float* kpack = scratch(kScratchAttention, kfloats + vfloats + size_t(tokens * block + 2 * block));
    float* vpack = kpack + kfloats;
    float* s = vpack + vfloats;
    float* col_max = s + tokens * block;
    float* inv_sum = col_max + block;
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t run = t % runs, bh = t / runs, h = bh % heads, b = bh / heads;
      const float* base = qkv + b * 3 * heads * dim * tokens;
      const float* q = base + qkv_channel(layout, 0, h, 0, heads, dim) * tokens;
      const float* k = base + qkv_channel(layout, 1, h, 0, heads, dim) * tokens;
      const float* v = base + qkv_channel(layout, 2, h, 0, heads, dim) * tokens;
      pack_a(true, tokens, dim, k, ld, kpack);
      pack_a(false, dim, tokens, v, ld, vpack);
      for (int64_t qb = qblocks * run / runs; qb < qblocks * (run + 1) / runs; ++qb) {
        const int64_t t0 = qb * block, nq = std::min(block, tokens - t0);
        float* o = out + (b * heads + h) * dim * tokens + t0;

        GemmJob scores;
        scores.b.data = q + t0;
        scores.b.ld = ld;
        scores.c = s;
        scores.ldc = nq;
        scores.epi.alpha = a.scale;
        sgemm_packed(tokens, nq, dim, kpack, &scores, 1);
        column_softmax(s, tokens, nq, col_max, inv_sum);
        GemmJob values;
        values.b.data = s;
        values.b.ld = nq;
        values.c = o;
        values.ldc = tokens;
        sgemm_packed(dim, nq, tokens, vpack, &values, 1);
        for (int64_t c = 0; c < dim; ++c) {
          float* oc = o + c * tokens;
          for (int64_t j = 0; j < nq; ++j) oc[j] *= inv_sum[j];
        }
      }
    }
  });
}

}  // namespace cpu
}  // namespace g4j
