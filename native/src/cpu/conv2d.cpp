// conv2d as one GEMM per sample, C (Cout x Ho*Wo) = W (Cout x Cin*k*k) * cols, with the weights
// packed once for the whole batch. A 1x1 stride-1 unpadded convolution reads the input as the
// B matrix directly; every other shape gathers its im2col columns while packing B, so no column
// buffer exists and memory stays bounded. Bias and residual are added as C is written.
#include <vector>

#include "../ops.h"
#include "sgemm.h"

namespace g4j {
namespace cpu {

void conv2d(const Conv2dArgs& c) {
  const int64_t k = c.kernel;
  const int64_t plane_in = c.height * c.width;
  const int64_t plane_out = c.out_height * c.out_width;
  const float* x = static_cast<const float*>(c.x);
  const float* residual = static_cast<const float*>(c.residual);
  float* out = static_cast<float*>(c.out);
  const bool direct = k == 1 && c.stride == 1 && c.padding == 0;

  std::vector<GemmJob> jobs(size_t(c.batch));
  for (int64_t b = 0; b < c.batch; ++b) {
    GemmJob& j = jobs[size_t(b)];
    j.b.data = x + b * c.in_channels * plane_in;
    if (direct) {
      j.b.kind = BSource::kMatrix;
      j.b.ld = plane_in;
    } else {
      j.b.kind = BSource::kIm2col;
      j.b.height = c.height;
      j.b.width = c.width;
      j.b.kernel = k;
      j.b.stride = c.stride;
      j.b.padding = c.padding;
      j.b.out_width = c.out_width;
    }
    j.c = out + b * c.out_channels * plane_out;
    j.ldc = plane_out;
    j.epi.row_bias = static_cast<const float*>(c.bias);
    if (residual) {
      j.epi.residual = residual + b * c.out_channels * plane_out;
      j.epi.ldr = plane_out;
    }
  }
  sgemm_jobs(false, c.out_channels, plane_out, c.in_channels * k * k,
             static_cast<const float*>(c.weight), c.in_channels * k * k, jobs.data(), c.batch);
}

}  // namespace cpu
}  // namespace g4j
