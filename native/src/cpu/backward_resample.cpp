// The input gradient of 2x2 average pooling: each pooled gradient spread as a quarter over its
// window; a dropped odd last row or column gets 0.
#include <algorithm>

#include "../ops.h"
#include "thread_pool.h"

namespace g4j {
namespace cpu {

void avg_pool2x2_backward(const AvgPoolBackwardArgs& a) {
  const int64_t h = a.height, w = a.width, ho = h / 2, wo = w / 2;
  const float* dy = static_cast<const float*>(a.dy);
  float* dx = static_cast<float*>(a.dx);
  parallel_for(0, a.planes * h, std::max<int64_t>(1, 16384 / w), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {  // row r of all planes * h rows of dx
      const int64_t p = r / h, y = r % h;
      float* out = dx + r * w;
      if (y >= 2 * ho) {
        std::fill(out, out + w, 0.0f);
        continue;
      }
      const float* g = dy + (p * ho + y / 2) * wo;
      for (int64_t j = 0; j < wo; ++j) {
        const float q = g[j] * 0.25f;
        out[2 * j] = q;
        out[2 * j + 1] = q;
      }
      if (w > 2 * wo) out[w - 1] = 0.0f;
    }
  });
}

}  // namespace cpu
}  // namespace g4j
