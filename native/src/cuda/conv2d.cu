// 2-D convolution as an implicit GEMM (conv2d.cuh: ConvForward; implicit_gemm.cuh: kernels).
// The patch matrix is gathered from the image inside the kernel, zero outside it (the
// padding); bias and the residual are added in the epilogue, so a ResBlock's skip connection
// costs no extra pass. 1x1 and 3x3 kernels get compiled special cases.
#include <climits>
#include <cstdlib>
#include <cstring>

#include "implicit_gemm.cuh"
#include "vendor.h"

namespace g4j {
namespace cuda {

ConvParams conv_params(int64_t batch, int64_t in_channels, int64_t height, int64_t width,
                       int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding,
                       int64_t out_height, int64_t out_width, const void* weight) {
  const int64_t limit = INT_MAX - 256;  // tile origins past the last row/column stay in range
  const int64_t cols_out = batch * out_height * out_width;
  const int64_t cols_in = batch * height * width;
  const int64_t k_fwd = in_channels * kernel * kernel;
  const int64_t k_bwd = out_channels * kernel * kernel;
  const int64_t image_in = in_channels * height * width;
  const int64_t image_out = out_channels * out_height * out_width;
  if (cols_out > limit || cols_in > limit || k_fwd > limit || k_bwd > limit ||
      image_in > limit || image_out > limit || out_channels > limit || stride > limit / 4 ||
      padding > limit / 4) {
    fail(G4J_ERR_UNSUPPORTED,
         "conv2d: shape too large for the CUDA kernels' 32-bit indices (batch %lld, channels "
         "%lld -> %lld, %lld x %lld, kernel %lld)",
         static_cast<long long>(batch), static_cast<long long>(in_channels),
         static_cast<long long>(out_channels), static_cast<long long>(height),
         static_cast<long long>(width), static_cast<long long>(kernel));
  }
  return ConvParams{static_cast<int>(batch),      static_cast<int>(in_channels),
                    static_cast<int>(height),     static_cast<int>(width),
                    static_cast<int>(out_channels), static_cast<int>(kernel),
                    static_cast<int>(stride),     static_cast<int>(padding),
                    static_cast<int>(out_height), static_cast<int>(out_width),
                    weight};
}

bool tensor_cores_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("G4J_CUDA_TENSOR_CORES");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }();
  return enabled;
}

namespace {

template <typename T, int KS>
void launch_forward(cudaStream_t stream, const ConvParams& p, const Conv2dArgs& a) {
  const ConvForward<T, KS> prob{p, static_cast<const T*>(a.x), static_cast<const T*>(a.bias),
                                static_cast<const T*>(a.residual), static_cast<T*>(a.out)};
  launch_implicit_gemm<T>(stream, prob, "conv2d");
}

}  // namespace

void conv2d(Stream s, const Conv2dArgs& a) {
  if (a.batch <= 0 || a.out_channels <= 0 || a.out_height <= 0 || a.out_width <= 0) return;
  if (vendor::try_conv2d(s, a)) return;  // cuDNN when loaded and switched on (vendor.h)
  const ConvParams p = conv_params(a.batch, a.in_channels, a.height, a.width, a.out_channels,
                                   a.kernel, a.stride, a.padding, a.out_height, a.out_width,
                                   a.weight);
  dispatch_dtype(a.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    switch (p.kernel) {
      case 1: launch_forward<T, 1>(as_cuda(s), p, a); break;
      case 3: launch_forward<T, 3>(as_cuda(s), p, a); break;
      default: launch_forward<T, 0>(as_cuda(s), p, a); break;
    }
  });
}

}  // namespace cuda
}  // namespace g4j
