// The part of cuBLASLt that guidance4j calls, declared here because no cuBLAS header is on the
// build machine. Names, values and signatures are those of cublasLt.h and library_types.h of
// CUDA 12.6 (cuBLAS 12.6); the values used are unchanged in cuBLAS 13 (its enums only grow).
// native/tests/vendor/abi_check.cpp compares them with the real headers where they exist.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace g4j {
namespace vendor {
namespace cublaslt {

using Handle = void*;       // cublasLtHandle_t
using MatmulDesc = void*;   // cublasLtMatmulDesc_t
using Layout = void*;       // cublasLtMatrixLayout_t
using Preference = void*;   // cublasLtMatmulPreference_t
using Status = int;         // cublasStatus_t

constexpr Status kSuccess = 0;       // CUBLAS_STATUS_SUCCESS
constexpr Status kNotSupported = 15; // CUBLAS_STATUS_NOT_SUPPORTED

// cudaDataType_t (library_types.h)
constexpr int kR32F = 0;
constexpr int kR16F = 2;
constexpr int kR16BF = 14;
// cublasComputeType_t: F32 accumulation, no TF32 (that would be CUBLAS_COMPUTE_32F_FAST_TF32).
constexpr int kCompute32F = 68;
// cublasOperation_t
constexpr int kOpN = 0;
constexpr int kOpT = 1;
// cublasLtMatmulDescAttributes_t
constexpr int kDescTransA = 3;       // int32
constexpr int kDescTransB = 4;       // int32
constexpr int kDescEpilogue = 7;     // uint32
constexpr int kDescBiasPointer = 8;  // const void*
// cublasLtEpilogue_t
constexpr uint32_t kEpilogueDefault = 1;
constexpr uint32_t kEpilogueBias = 4;  // D += bias broadcast over columns, one per row of D
// cublasLtMatrixLayoutAttribute_t
constexpr int kLayoutBatchCount = 5;          // int32
constexpr int kLayoutStridedBatchOffset = 6;  // int64, elements
// cublasLtMatmulPreferenceAttributes_t
constexpr int kPrefMaxWorkspaceBytes = 1;  // uint64
constexpr int kPrefMinAlignmentA = 5;      // uint32, bytes
constexpr int kPrefMinAlignmentB = 6;
constexpr int kPrefMinAlignmentC = 7;
constexpr int kPrefMinAlignmentD = 8;

// cublasLtMatmulAlgo_t (opaque, 64 bytes) and cublasLtMatmulHeuristicResult_t (96 bytes).
struct Algo {
  uint64_t data[8];
};
struct HeuristicResult {
  Algo algo;
  size_t workspace_size;
  Status state;
  float waves_count;
  int reserved[4];
};

struct Api {
  size_t (*GetVersion)();
  Status (*Create)(Handle*);
  Status (*MatmulDescCreate)(MatmulDesc*, int compute_type, int scale_type);
  Status (*MatmulDescSetAttribute)(MatmulDesc, int attr, const void* buf, size_t bytes);
  Status (*MatmulDescDestroy)(MatmulDesc);
  Status (*MatrixLayoutCreate)(Layout*, int type, uint64_t rows, uint64_t cols, int64_t ld);
  Status (*MatrixLayoutSetAttribute)(Layout, int attr, const void* buf, size_t bytes);
  Status (*MatrixLayoutDestroy)(Layout);
  Status (*MatmulPreferenceCreate)(Preference*);
  Status (*MatmulPreferenceSetAttribute)(Preference, int attr, const void* buf, size_t bytes);
  Status (*MatmulPreferenceDestroy)(Preference);
  Status (*MatmulAlgoGetHeuristic)(Handle, MatmulDesc, Layout a, Layout b, Layout c, Layout d,
                                   Preference, int requested, HeuristicResult* results,
                                   int* returned);
  Status (*Matmul)(Handle, MatmulDesc, const void* alpha, const void* a, Layout a_desc,
                   const void* b, Layout b_desc, const void* beta, const void* c, Layout c_desc,
                   void* d, Layout d_desc, const Algo* algo, void* workspace,
                   size_t workspace_bytes, void* stream);
};

// The resolved API, loading cuBLASLt on the first call; nullptr with `why` when it cannot be used.
const Api* api(std::string* why, std::string* path, std::string* version);

// "CUBLAS_STATUS_NOT_SUPPORTED (15)".
std::string status_text(Status s);

}  // namespace cublaslt
}  // namespace vendor
}  // namespace g4j
