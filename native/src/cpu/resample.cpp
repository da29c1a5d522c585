// Nearest 2x up-sampling and 2x2 average pooling over (planes, H, W), threaded over rows.
#include <algorithm>

#include "../ops.h"
#include "thread_pool.h"

namespace g4j {
namespace cpu {

void upsample_nearest2x(const Resample2xArgs& a) {
  const int64_t w = a.width, rows = a.planes * a.height;
  const float* x = static_cast<const float*>(a.x);
  float* out = static_cast<float*>(a.out);
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / w), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {  // input row r -> output rows 2r and 2r + 1
      const float* xr = x + r * w;
      float* o0 = out + 2 * r * 2 * w;
      float* o1 = o0 + 2 * w;
      for (int64_t j = 0; j < w; ++j) {
        o0[2 * j] = xr[j];
        o0[2 * j + 1] = xr[j];
      }
      std::copy(o0, o0 + 2 * w, o1);
    }
  });
}

void avg_pool2x2(const Resample2xArgs& a) {
  const int64_t w = a.width, ho = a.height / 2, wo = a.width / 2;
  const int64_t plane_in = a.height * w;
  const float* x = static_cast<const float*>(a.x);
  float* out = static_cast<float*>(a.out);
  parallel_for(0, a.planes * ho, std::max<int64_t>(1, 16384 / (2 * w)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t p = r / ho, oy = r % ho;
      const float* r0 = x + p * plane_in + 2 * oy * w;
      const float* r1 = r0 + w;
      float* o = out + r * wo;
      // The sum order of torch's avg_pool2d (row by row, left to right), then / 4.
      for (int64_t j = 0; j < wo; ++j) {
        o[j] = (((r0[2 * j] + r0[2 * j + 1]) + r1[2 * j]) + r1[2 * j + 1]) * 0.25f;
      }
    }
  });
}

}  // namespace cpu
}  // namespace g4j
