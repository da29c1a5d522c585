// The part of cuDNN 9's legacy convolution API that guidance4j calls, declared here because no
// cuDNN header is on the build machine. Names, values and signatures are those of cuDNN 9.6's
// cudnn_graph.h and cudnn_cnn.h (the API is stable across 9.x; cudnnConvolutionForward and its
// relatives are marked deprecated there but remain in every 9.x release). Handles and descriptors
// are opaque pointers and enums are ints, which is what they are at the ABI level.
// native/tests/vendor/abi_check.cpp compares every value below with the real headers where they
// exist (the GPU check runs it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace g4j {
namespace vendor {
namespace cudnn {

using Handle = void*;             // cudnnHandle_t
using TensorDesc = void*;         // cudnnTensorDescriptor_t
using FilterDesc = void*;         // cudnnFilterDescriptor_t
using ConvDesc = void*;           // cudnnConvolutionDescriptor_t
using Status = int;               // cudnnStatus_t

// cudnnStatus_t (cudnn_graph.h): 0 success; categories of 1000 (3xxx: not supported).
constexpr Status kSuccess = 0;
constexpr Status kNotSupported = 3000;
inline bool not_supported(Status s) { return s >= 3000 && s < 4000; }

// cudnnDataType_t
constexpr int kDataFloat = 0;
constexpr int kDataHalf = 2;
constexpr int kDataBfloat16 = 9;
// cudnnMathType_t
constexpr int kDefaultMath = 0;
constexpr int kTensorOpMath = 1;
constexpr int kFmaMath = 3;
// cudnnTensorFormat_t
constexpr int kTensorNchw = 0;
// cudnnConvolutionMode_t: cross-correlation is what torch's conv2d computes.
constexpr int kCrossCorrelation = 1;
// cudnnDeterminism_t
constexpr int kDeterministic = 1;

// cudnnConvolutionFwdAlgoPerf_t and cudnnConvolutionBwdDataAlgoPerf_t (same layout).
struct AlgoPerf {
  int algo;          // cudnnConvolutionFwdAlgo_t / cudnnConvolutionBwdDataAlgo_t
  Status status;
  float time;        // milliseconds
  size_t memory;     // workspace bytes
  int determinism;   // cudnnDeterminism_t
  int math_type;     // cudnnMathType_t
  int reserved[3];
};

// The entry points, resolved from libcudnn.so.9 (the shim that loads cuDNN's sub-libraries).
struct Api {
  size_t (*GetVersion)();
  size_t (*GetCudartVersion)();
  const char* (*GetErrorString)(Status);
  void (*GetLastErrorString)(char* message, size_t max_size);
  Status (*Create)(Handle*);
  Status (*SetStream)(Handle, void* stream);
  Status (*CreateTensorDescriptor)(TensorDesc*);
  Status (*SetTensor4dDescriptor)(TensorDesc, int format, int data_type, int n, int c, int h,
                                  int w);
  Status (*DestroyTensorDescriptor)(TensorDesc);
  Status (*CreateFilterDescriptor)(FilterDesc*);
  // Note the order: data type before format, unlike the tensor descriptor.
  Status (*SetFilter4dDescriptor)(FilterDesc, int data_type, int format, int k, int c, int h,
                                  int w);
  Status (*DestroyFilterDescriptor)(FilterDesc);
  Status (*CreateConvolutionDescriptor)(ConvDesc*);
  Status (*SetConvolution2dDescriptor)(ConvDesc, int pad_h, int pad_w, int u, int v,
                                       int dilation_h, int dilation_w, int mode,
                                       int compute_type);
  Status (*SetConvolutionMathType)(ConvDesc, int math_type);
  Status (*DestroyConvolutionDescriptor)(ConvDesc);
  Status (*GetConvolutionForwardAlgorithmMaxCount)(Handle, int* count);
  Status (*FindConvolutionForwardAlgorithmEx)(Handle, TensorDesc x_desc, const void* x,
                                              FilterDesc w_desc, const void* w, ConvDesc conv,
                                              TensorDesc y_desc, void* y, int requested,
                                              int* returned, AlgoPerf* results, void* workspace,
                                              size_t workspace_bytes);
  Status (*ConvolutionForward)(Handle, const void* alpha, TensorDesc x_desc, const void* x,
                               FilterDesc w_desc, const void* w, ConvDesc conv, int algo,
                               void* workspace, size_t workspace_bytes, const void* beta,
                               TensorDesc y_desc, void* y);
  Status (*GetConvolutionBackwardDataAlgorithmMaxCount)(Handle, int* count);
  Status (*FindConvolutionBackwardDataAlgorithmEx)(Handle, FilterDesc w_desc, const void* w,
                                                   TensorDesc dy_desc, const void* dy,
                                                   ConvDesc conv, TensorDesc dx_desc, void* dx,
                                                   int requested, int* returned,
                                                   AlgoPerf* results, void* workspace,
                                                   size_t workspace_bytes);
  Status (*ConvolutionBackwardData)(Handle, const void* alpha, FilterDesc w_desc, const void* w,
                                    TensorDesc dy_desc, const void* dy, ConvDesc conv, int algo,
                                    void* workspace, size_t workspace_bytes, const void* beta,
                                    TensorDesc dx_desc, void* dx);
};

// The resolved API, loading cuDNN on the first call; nullptr with `why` when it cannot be used.
// `path` and `version` describe the library that was loaded.
const Api* api(std::string* why, std::string* path, std::string* version);

// "CUDNN_STATUS_BAD_PARAM (2000)" and cuDNN's own text, for error messages.
std::string status_text(const Api& a, Status s);

}  // namespace cudnn
}  // namespace vendor
}  // namespace g4j
