// The vendor path of the CUDA backend: conv2d and conv2d_backward_input on cuDNN, gemm and linear
// on cuBLASLt, when those libraries load at run time (vendor_loader.h); otherwise, or when switched
// off (G4J_CUDA_VENDOR=0, g4j_cuda_set_vendor), the backend's own kernels ("hand-written").
// Each op of native/src/cuda/ first offers its arguments to try_*; false means "run your own".
#pragma once

#include <cstdint>
#include <string>

#include "ops.h"
#include "vendor_cublaslt.h"
#include "vendor_cudnn.h"

namespace g4j {
namespace vendor {

// Which path an op ran on, counted per call for g4j_cuda_path_counts.
// kVendorConv: conv2d or its backward on cuDNN (a 1x1 convolution: a cuBLASLt GEMM).
enum class Path : int { kVendorConv = 0, kHandConv = 1, kCublasLtGemm = 2, kHandGemm = 3 };
void count(Path p);
void path_counts(int64_t out[4]);

// The process-wide switch; its default comes from G4J_CUDA_VENDOR ("0": off).
bool enabled();
void set_enabled(bool on);

// The API when the switch is on and the library loaded and was not disabled; else nullptr.
const cudnn::Api* cudnn_on();
const cublaslt::Api* cublaslt_on();

// Turns one library off for the rest of the process after a failure that no later call could
// avoid (its handle cannot be created); info() then gives `why`.
void disable_cudnn(const std::string& why);
void disable_cublaslt(const std::string& why);

// Bit mask of G4J_VENDOR_* the next op would use, and one line saying which path each op family
// takes and why ("conv2d: cuDNN 9.19.0 (file); gemm/linear: hand-written (vendor path off: ...)").
std::string info(int* active);

// False where vendor libraries can never run (the CUDA emulation): defined in cuda/vendor_conv.cu.
bool runs_here();

// The vendor path of each op: true when it ran the op (enqueued on `stream`), false when the
// caller must run its own kernels. Shapes a library does not support fall back per shape.
bool try_conv2d(void* stream, const Conv2dArgs& a);
bool try_conv2d_backward_input(void* stream, const Conv2dBackwardInputArgs& a);
bool try_gemm(void* stream, const GemmArgs& g);
bool try_linear(void* stream, const LinearArgs& l);

// A 1x1, stride-1, unpadded convolution without its bias and residual, as one strided batched
// cuBLASLt GEMM into a.out (vendor_gemm.cu); false when cuBLASLt is off or declines the shape.
bool conv1x1_gemm(void* stream, const Conv2dArgs& a);

}  // namespace vendor
}  // namespace g4j
