// The input gradient of conv2d (a transposed convolution) as an implicit GEMM:
// dx (Cin x B*H*W) = W^T (Cin x Cout*k*k) . D, where D[(co, ky, kx), input pixel] is the dy
// element whose window tap (ky, kx) lands on that pixel, or 0 (conv2d.cuh: ConvBackwardInput).
// Gathering per input pixel instead of scattering per output pixel needs no atomics and writes
// every dx element exactly once, 0 where no window reads it.
#include "implicit_gemm.cuh"
#include "vendor.h"

namespace g4j {
namespace cuda {
namespace {

template <typename T, int KS>
void launch_backward_input(cudaStream_t stream, const ConvParams& p,
                           const Conv2dBackwardInputArgs& a) {
  const ConvBackwardInput<T, KS> prob{p, static_cast<const T*>(a.dy), static_cast<T*>(a.dx)};
  launch_implicit_gemm<T>(stream, prob, "conv2d_backward_input");
}

}  // namespace

void conv2d_backward_input(Stream s, const Conv2dBackwardInputArgs& a) {
  if (a.batch <= 0 || a.in_channels <= 0 || a.height <= 0 || a.width <= 0) return;
  if (vendor::try_conv2d_backward_input(s, a)) return;  // cuDNN when loaded (vendor.h)
  const ConvParams p = conv_params(a.batch, a.in_channels, a.height, a.width, a.out_channels,
                                   a.kernel, a.stride, a.padding, a.out_height, a.out_width,
                                   a.weight);
  dispatch_dtype(a.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    switch (p.kernel) {
      case 1: launch_backward_input<T, 1>(as_cuda(s), p, a); break;
      case 3: launch_backward_input<T, 3>(as_cuda(s), p, a); break;
      default: launch_backward_input<T, 0>(as_cuda(s), p, a); break;
    }
  });
}

}  // namespace cuda
}  // namespace g4j
