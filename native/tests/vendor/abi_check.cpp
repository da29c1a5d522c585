// Compile-time check of native/src/vendor_cudnn.h and vendor_cublaslt.h against NVIDIA's own
// headers, where they exist (not on the build machine: the GPU check compiles this against the
// headers in PyTorch's wheels, nvidia/cudnn/include and nvidia/cublas/include, and CUDA's include):
//   g++ -std=c++17 -I<cudnn include> -I<cublas include> -I<cuda include> -Inative/src \
//       native/tests/vendor/abi_check.cpp -o abi_check && ./abi_check
// Every enum value and struct layout we declared must equal the header's, and every entry point's
// signature must match up to what the ABI cannot tell apart (any pointer, any enum as int).
// Compiling is the check; the program only prints the versions the headers describe.
#include <cublasLt.h>
#include <cudnn.h>

#include <cstddef>
#include <cstdio>
#include <type_traits>

#include "vendor_cublaslt.h"
#include "vendor_cudnn.h"

namespace {

namespace dnn = g4j::vendor::cudnn;
namespace lt = g4j::vendor::cublaslt;

// What a type is at the ABI level: pointers are pointers, enums are ints.
template <class T, class = void>
struct Abi {
  using type = T;
};
template <class T>
struct Abi<T*, void> {
  using type = void*;
};
template <class T>
struct Abi<T, std::enable_if_t<std::is_enum<T>::value>> {
  using type = int;
};

template <class F>
struct FnAbi;
template <class R, class... A>
struct FnAbi<R(A...)> {
  using type = typename Abi<R>::type(typename Abi<A>::type...);
};
template <class R, class... A>
struct FnAbi<R (*)(A...)> : FnAbi<R(A...)> {};

#define SAME_SIGNATURE(real, ours)                                                         \
  static_assert(std::is_same<FnAbi<decltype(real)>::type, FnAbi<decltype(ours)>::type>::value, \
                #real " differs from " #ours)

// ---- cuDNN ----
static_assert(dnn::kSuccess == CUDNN_STATUS_SUCCESS, "status");
static_assert(dnn::kNotSupported == CUDNN_STATUS_NOT_SUPPORTED, "status");
static_assert(dnn::kDataFloat == CUDNN_DATA_FLOAT, "data type");
static_assert(dnn::kDataHalf == CUDNN_DATA_HALF, "data type");
static_assert(dnn::kDataBfloat16 == CUDNN_DATA_BFLOAT16, "data type");
static_assert(dnn::kDefaultMath == CUDNN_DEFAULT_MATH, "math type");
static_assert(dnn::kTensorOpMath == CUDNN_TENSOR_OP_MATH, "math type");
static_assert(dnn::kFmaMath == CUDNN_FMA_MATH, "math type");
static_assert(dnn::kTensorNchw == CUDNN_TENSOR_NCHW, "format");
static_assert(dnn::kCrossCorrelation == CUDNN_CROSS_CORRELATION, "mode");
static_assert(dnn::kDeterministic == CUDNN_DETERMINISTIC, "determinism");

template <class Real>
constexpr bool same_perf_layout() {
  return sizeof(Real) == sizeof(dnn::AlgoPerf) && offsetof(Real, algo) == offsetof(dnn::AlgoPerf, algo) &&
         offsetof(Real, status) == offsetof(dnn::AlgoPerf, status) &&
         offsetof(Real, time) == offsetof(dnn::AlgoPerf, time) &&
         offsetof(Real, memory) == offsetof(dnn::AlgoPerf, memory) &&
         offsetof(Real, determinism) == offsetof(dnn::AlgoPerf, determinism) &&
         offsetof(Real, mathType) == offsetof(dnn::AlgoPerf, math_type);
}
static_assert(same_perf_layout<cudnnConvolutionFwdAlgoPerf_t>(), "forward perf struct");
static_assert(same_perf_layout<cudnnConvolutionBwdDataAlgoPerf_t>(), "backward-data perf struct");

SAME_SIGNATURE(cudnnGetVersion, dnn::Api::GetVersion);
SAME_SIGNATURE(cudnnGetCudartVersion, dnn::Api::GetCudartVersion);
SAME_SIGNATURE(cudnnGetErrorString, dnn::Api::GetErrorString);
SAME_SIGNATURE(cudnnGetLastErrorString, dnn::Api::GetLastErrorString);
SAME_SIGNATURE(cudnnCreate, dnn::Api::Create);
SAME_SIGNATURE(cudnnSetStream, dnn::Api::SetStream);
SAME_SIGNATURE(cudnnCreateTensorDescriptor, dnn::Api::CreateTensorDescriptor);
SAME_SIGNATURE(cudnnSetTensor4dDescriptor, dnn::Api::SetTensor4dDescriptor);
SAME_SIGNATURE(cudnnDestroyTensorDescriptor, dnn::Api::DestroyTensorDescriptor);
SAME_SIGNATURE(cudnnCreateFilterDescriptor, dnn::Api::CreateFilterDescriptor);
SAME_SIGNATURE(cudnnSetFilter4dDescriptor, dnn::Api::SetFilter4dDescriptor);
SAME_SIGNATURE(cudnnDestroyFilterDescriptor, dnn::Api::DestroyFilterDescriptor);
SAME_SIGNATURE(cudnnCreateConvolutionDescriptor, dnn::Api::CreateConvolutionDescriptor);
SAME_SIGNATURE(cudnnSetConvolution2dDescriptor, dnn::Api::SetConvolution2dDescriptor);
SAME_SIGNATURE(cudnnSetConvolutionMathType, dnn::Api::SetConvolutionMathType);
SAME_SIGNATURE(cudnnDestroyConvolutionDescriptor, dnn::Api::DestroyConvolutionDescriptor);
SAME_SIGNATURE(cudnnGetConvolutionForwardAlgorithmMaxCount,
               dnn::Api::GetConvolutionForwardAlgorithmMaxCount);
SAME_SIGNATURE(cudnnFindConvolutionForwardAlgorithmEx, dnn::Api::FindConvolutionForwardAlgorithmEx);
SAME_SIGNATURE(cudnnConvolutionForward, dnn::Api::ConvolutionForward);
SAME_SIGNATURE(cudnnGetConvolutionBackwardDataAlgorithmMaxCount,
               dnn::Api::GetConvolutionBackwardDataAlgorithmMaxCount);
SAME_SIGNATURE(cudnnFindConvolutionBackwardDataAlgorithmEx,
               dnn::Api::FindConvolutionBackwardDataAlgorithmEx);
SAME_SIGNATURE(cudnnConvolutionBackwardData, dnn::Api::ConvolutionBackwardData);

// ---- cuBLASLt ----
static_assert(lt::kSuccess == CUBLAS_STATUS_SUCCESS, "status");
static_assert(lt::kNotSupported == CUBLAS_STATUS_NOT_SUPPORTED, "status");
static_assert(lt::kR32F == CUDA_R_32F && lt::kR16F == CUDA_R_16F && lt::kR16BF == CUDA_R_16BF,
              "cudaDataType");
static_assert(lt::kCompute32F == CUBLAS_COMPUTE_32F, "compute type");
static_assert(lt::kOpN == CUBLAS_OP_N && lt::kOpT == CUBLAS_OP_T, "operation");
static_assert(lt::kDescTransA == CUBLASLT_MATMUL_DESC_TRANSA, "desc attribute");
static_assert(lt::kDescTransB == CUBLASLT_MATMUL_DESC_TRANSB, "desc attribute");
static_assert(lt::kDescEpilogue == CUBLASLT_MATMUL_DESC_EPILOGUE, "desc attribute");
static_assert(lt::kDescBiasPointer == CUBLASLT_MATMUL_DESC_BIAS_POINTER, "desc attribute");
static_assert(lt::kEpilogueDefault == CUBLASLT_EPILOGUE_DEFAULT, "epilogue");
static_assert(lt::kEpilogueBias == CUBLASLT_EPILOGUE_BIAS, "epilogue");
static_assert(lt::kLayoutBatchCount == CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, "layout attribute");
static_assert(lt::kLayoutStridedBatchOffset == CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
              "layout attribute");
static_assert(lt::kPrefMaxWorkspaceBytes == CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, "preference");
static_assert(lt::kPrefMinAlignmentA == CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, "preference");
static_assert(lt::kPrefMinAlignmentB == CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, "preference");
static_assert(lt::kPrefMinAlignmentC == CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, "preference");
static_assert(lt::kPrefMinAlignmentD == CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, "preference");
static_assert(sizeof(lt::Algo) == sizeof(cublasLtMatmulAlgo_t), "algo");
static_assert(sizeof(lt::HeuristicResult) == sizeof(cublasLtMatmulHeuristicResult_t), "heuristic");
static_assert(offsetof(lt::HeuristicResult, workspace_size) ==
                  offsetof(cublasLtMatmulHeuristicResult_t, workspaceSize),
              "heuristic");
static_assert(offsetof(lt::HeuristicResult, state) ==
                  offsetof(cublasLtMatmulHeuristicResult_t, state),
              "heuristic");

SAME_SIGNATURE(cublasLtGetVersion, lt::Api::GetVersion);
SAME_SIGNATURE(cublasLtCreate, lt::Api::Create);
SAME_SIGNATURE(cublasLtMatmulDescCreate, lt::Api::MatmulDescCreate);
SAME_SIGNATURE(cublasLtMatmulDescSetAttribute, lt::Api::MatmulDescSetAttribute);
SAME_SIGNATURE(cublasLtMatmulDescDestroy, lt::Api::MatmulDescDestroy);
SAME_SIGNATURE(cublasLtMatrixLayoutCreate, lt::Api::MatrixLayoutCreate);
SAME_SIGNATURE(cublasLtMatrixLayoutSetAttribute, lt::Api::MatrixLayoutSetAttribute);
SAME_SIGNATURE(cublasLtMatrixLayoutDestroy, lt::Api::MatrixLayoutDestroy);
SAME_SIGNATURE(cublasLtMatmulPreferenceCreate, lt::Api::MatmulPreferenceCreate);
SAME_SIGNATURE(cublasLtMatmulPreferenceSetAttribute, lt::Api::MatmulPreferenceSetAttribute);
SAME_SIGNATURE(cublasLtMatmulPreferenceDestroy, lt::Api::MatmulPreferenceDestroy);
SAME_SIGNATURE(cublasLtMatmulAlgoGetHeuristic, lt::Api::MatmulAlgoGetHeuristic);
SAME_SIGNATURE(cublasLtMatmul, lt::Api::Matmul);

}  // namespace

int main() {
  std::printf("vendor ABI check passed against cuDNN %d.%d.%d and cuBLASLt %d.%d.%d headers\n",
              CUDNN_MAJOR, CUDNN_MINOR, CUDNN_PATCHLEVEL, CUBLAS_VER_MAJOR, CUBLAS_VER_MINOR,
              CUBLAS_VER_PATCH);
  return 0;
}
