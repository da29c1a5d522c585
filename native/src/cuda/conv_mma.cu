// Convolutions on the tensor-core kernels (conv_mma.cuh): a 1x1 stride-1 convolution is a GEMM
// whose columns are the pixels of all images (gemm_mma.cuh, no weight rearrangement); the rest
// of 1x1 and 3x3 runs the halo kernel (igemm_mma.cuh). Shapes reach here already validated and
// within 32-bit indices (conv_params in conv2d.cu).
#include "conv_mma.cuh"
#include "conv2d.cuh"
#include "gemm_mma.cuh"
#include "igemm_mma.cuh"

namespace g4j {
namespace cuda {
namespace {

bool half_on_tensor_cores(int dtype) {
  return (dtype == G4J_F16 || dtype == G4J_BF16) && tensor_cores_enabled();
}

// out (rows x pixels per image, NCHW) = A . in (k x pixels per image), for every image at once:
// the pixels of all images are the GEMM's columns, one column group per image.
void conv1x1_gemm(cudaStream_t stream, int dtype, int64_t batch, int64_t pixels, int64_t rows,
                  int64_t k, const void* a, bool a_transposed, const void* in, const void* bias,
                  const void* residual, void* out) {
  mma_gemm::Params p{};
  p.m = static_cast<int>(rows);
  p.n = static_cast<int>(batch * pixels);
  p.k = static_cast<int>(k);
  p.batch = 1;
  p.a = a;
  p.lda = a_transposed ? rows : k;  // W (rows x k) or, transposed, W stored (k x rows)
  p.a_batch = 0;
  p.b = in;
  p.ldb = pixels;
  p.b_batch = 0;
  p.b_group = k * pixels;
  MmaOut& o = p.out;
  o.c = out;
  o.ldc = pixels;
  o.c_group = rows * pixels;
  o.c_batch = 0;
  o.cpg = static_cast<int>(pixels);
  o.m = p.m;
  o.n = p.n;
  o.batch = 1;
  o.alpha = 1.0f;
  o.beta = 0.0f;
  o.row_bias = bias;
  o.col_bias = nullptr;
  o.residual = residual;
  launch_gemm_mma(stream, dtype, a_transposed, false, p);
}

}  // namespace

bool conv_forward_mma(cudaStream_t stream, const Conv2dArgs& a) {
  if (!half_on_tensor_cores(a.dtype)) return false;
  if (a.kernel == 1 && a.stride == 1 && a.padding == 0) {
    conv1x1_gemm(stream, a.dtype, a.batch, a.height * a.width, a.out_channels, a.in_channels,
                 a.weight, false, a.x, a.bias, a.residual, a.out);
    return true;
  }
  const HaloConvShape s{static_cast<int>(a.batch),      static_cast<int>(a.in_channels),
                        static_cast<int>(a.height),     static_cast<int>(a.width),
                        static_cast<int>(a.out_channels), static_cast<int>(a.kernel),
                        static_cast<int>(a.stride),     static_cast<int>(a.padding),
                        static_cast<int>(a.out_height), static_cast<int>(a.out_width)};
  if (!halo_conv_supported(s)) return false;
  launch_halo_conv(stream, a.dtype, s, a.x, a.weight, false, a.bias, a.residual, a.out);
  return true;
}

bool conv_backward_input_mma(cudaStream_t stream, const Conv2dBackwardInputArgs& a) {
  if (!half_on_tensor_cores(a.dtype) || a.stride != 1) return false;
  if (a.kernel == 1 && a.padding == 0) {
    // dx (Cin x pixels) = W^T dy, W stored (Cout x Cin): A transposed.
    conv1x1_gemm(stream, a.dtype, a.batch, a.height * a.width, a.in_channels, a.out_channels,
                 a.weight, true, a.dy, nullptr, nullptr, a.dx);
    return true;
  }
  if (a.padding > a.kernel - 1) return false;
  // A stride-1 convolution of dy (Cout channels, out_height x out_width) with the flipped,
  // transposed kernel and padding k - 1 - P, whose output is dx's height x width.
  const HaloConvShape s{static_cast<int>(a.batch),       static_cast<int>(a.out_channels),
                        static_cast<int>(a.out_height),  static_cast<int>(a.out_width),
                        static_cast<int>(a.in_channels), static_cast<int>(a.kernel),
                        1,
                        static_cast<int>(a.kernel - 1 - a.padding),
                        static_cast<int>(a.height),      static_cast<int>(a.width)};
  if (!halo_conv_supported(s)) return false;
  launch_halo_conv(stream, a.dtype, s, a.dy, a.weight, true, nullptr, nullptr, a.dx);
  return true;
}

}  // namespace cuda
}  // namespace g4j
