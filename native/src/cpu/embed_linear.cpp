// The linear layers of an embedding MLP with their bias, gathered table row and SiLU fused in
// (g4j_embed_linear): one task per output row block, dot products over contiguous rows of x
// and of the weight.
#include <algorithm>
#include <cmath>
#include <limits>

#include "../ops.h"
#include "thread_pool.h"
#include "vec.h"

namespace g4j {
namespace cpu {

void embed_linear(const EmbedLinearArgs& a) {
  const float* x = static_cast<const float*>(a.x);
  const float* w = static_cast<const float*>(a.weight);
  const float* bias = static_cast<const float*>(a.bias);
  const float* table = static_cast<const float*>(a.table);
  float* out = static_cast<float*>(a.out);
  const int64_t in = a.in_features, outf = a.out_features;
  const int64_t grain = std::max<int64_t>(1, 32768 / (in * a.rows));
  parallel_for(0, outf, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t r = 0; r < a.rows; ++r) {
      // the row's table offset, or -1 for an index outside [0, table_rows)
      int64_t t = 0;
      if (table != nullptr) {
        const float idx = a.index[r];
        const bool ok = idx >= 0.0f && idx < float(a.table_rows) && idx == std::floor(idx);
        t = ok ? int64_t(idx) * a.index_stride : -1;
      }
      for (int64_t o = lo; o < hi; ++o) {
        float v = dot(x + r * in, w + o * in, in);
        if (bias != nullptr) v += bias[o];
        if (table != nullptr) {
          v = t >= 0 ? v + table[t + o * a.feature_stride] : std::numeric_limits<float>::quiet_NaN();
        }
        out[r * outf + o] = a.silu ? silu1(v) : v;
      }
    }
  });
}

}  // namespace cpu
}  // namespace g4j
