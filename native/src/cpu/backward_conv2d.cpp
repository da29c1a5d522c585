// The input gradient of conv2d as a GEMM plus a scatter (col2im): for each sample, the columns
// cols = W^T dy (Cin*k*k x positions) hold every (input channel, ky, kx) contribution of each
// output position, and adding them at the input pixel each one came from gives dx. Positions
// are taken in chunks so the column buffer stays bounded (a few MB) at any image size; the
// scatter is threaded over input channels, which write disjoint planes of dx. A 1x1, stride-1,
// unpadded convolution needs no scatter: dx = W^T dy directly.
#include <algorithm>
#include <vector>

#include "../ops.h"
#include "sgemm.h"
#include "thread_pool.h"

namespace g4j {
namespace cpu {

void conv2d_backward_input(const Conv2dBackwardInputArgs& c) {
  const int64_t k = c.kernel, kk = k * k;
  const int64_t rows = c.in_channels * kk;  // rows of cols: (ci, ky, kx)
  const int64_t plane_in = c.height * c.width;
  const int64_t positions = c.out_height * c.out_width;
  const float* dy = static_cast<const float*>(c.dy);
  const float* w = static_cast<const float*>(c.weight);
  float* dx = static_cast<float*>(c.dx);

  if (k == 1 && c.stride == 1 && c.padding == 0) {
    for (int64_t b = 0; b < c.batch; ++b) {
      sgemm(true, false, c.in_channels, plane_in, c.out_channels, 1.0f, w, c.in_channels,
            dy + b * c.out_channels * positions, positions, 0.0f,
            dx + b * c.in_channels * plane_in, plane_in);
    }
    return;
  }

  const int64_t chunk =
      std::min(positions, std::max<int64_t>(64, (int64_t(1) << 20) / rows));
  std::vector<float> cols(size_t(rows * chunk));
  std::fill(dx, dx + c.batch * c.in_channels * plane_in, 0.0f);
  for (int64_t b = 0; b < c.batch; ++b) {
    const float* dyb = dy + b * c.out_channels * positions;
    float* dxb = dx + b * c.in_channels * plane_in;
    for (int64_t j0 = 0; j0 < positions; j0 += chunk) {
      const int64_t n = std::min(chunk, positions - j0);
      sgemm(true, false, rows, n, c.out_channels, 1.0f, w, rows, dyb + j0, positions, 0.0f,
            cols.data(), n);
      parallel_for(0, c.in_channels, 1, [&](int64_t lo, int64_t hi) {
        for (int64_t ci = lo; ci < hi; ++ci) {
          float* plane = dxb + ci * plane_in;
          for (int64_t ky = 0; ky < k; ++ky)
            for (int64_t kx = 0; kx < k; ++kx) {
              const float* col = cols.data() + ((ci * k + ky) * k + kx) * n;
              // Output position (oy, ox) of column j, stepped without a division per element.
              int64_t oy = j0 / c.out_width, ox = j0 % c.out_width;
              for (int64_t j = 0; j < n; ++j) {
                const int64_t iy = oy * c.stride - c.padding + ky;
                const int64_t ix = ox * c.stride - c.padding + kx;
                if (iy >= 0 && iy < c.height && ix >= 0 && ix < c.width) {
                  plane[iy * c.width + ix] += col[j];
                }
                if (++ox == c.out_width) ox = 0, ++oy;
              }
            }
        }
      });
    }
  }
}

}  // namespace cpu
}  // namespace g4j
