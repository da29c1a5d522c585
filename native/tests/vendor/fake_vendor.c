/* Stand-ins for libcudnn.so.9 and libcublasLt.so.N with the entry points guidance4j resolves
 * (vendor_cudnn.cpp, vendor_cublaslt.cpp), a version chosen at build time (FAKE_VERSION) and
 * optionally one entry point left out (FAKE_OMIT_BACKWARD): the loader's version and symbol
 * checks are tested against them (vendor_info_test.cpp). Nothing here is ever called as a
 * convolution or a matrix product: the tests only ask g4j_cuda_vendor_info. */
#include <stddef.h>

#define STUB(name) \
  int name(void) { return 0; }

#ifdef FAKE_CUDNN
size_t cudnnGetVersion(void) { return FAKE_VERSION; }
size_t cudnnGetCudartVersion(void) { return 12080; }
const char* cudnnGetErrorString(int status) { return status == 0 ? "FAKE_SUCCESS" : "FAKE_ERROR"; }
STUB(cudnnCreate)
STUB(cudnnSetStream)
STUB(cudnnCreateTensorDescriptor)
STUB(cudnnSetTensor4dDescriptor)
STUB(cudnnDestroyTensorDescriptor)
STUB(cudnnCreateFilterDescriptor)
STUB(cudnnSetFilter4dDescriptor)
STUB(cudnnDestroyFilterDescriptor)
STUB(cudnnCreateConvolutionDescriptor)
STUB(cudnnSetConvolution2dDescriptor)
STUB(cudnnSetConvolutionMathType)
STUB(cudnnDestroyConvolutionDescriptor)
STUB(cudnnGetConvolutionForwardAlgorithmMaxCount)
STUB(cudnnFindConvolutionForwardAlgorithmEx)
STUB(cudnnConvolutionForward)
STUB(cudnnGetConvolutionBackwardDataAlgorithmMaxCount)
STUB(cudnnFindConvolutionBackwardDataAlgorithmEx)
#ifndef FAKE_OMIT_BACKWARD
STUB(cudnnConvolutionBackwardData)
#endif
#endif

#ifdef FAKE_CUBLASLT
size_t cublasLtGetVersion(void) { return FAKE_VERSION; }
STUB(cublasLtCreate)
STUB(cublasLtMatmulDescCreate)
STUB(cublasLtMatmulDescSetAttribute)
STUB(cublasLtMatmulDescDestroy)
STUB(cublasLtMatrixLayoutCreate)
STUB(cublasLtMatrixLayoutSetAttribute)
STUB(cublasLtMatrixLayoutDestroy)
STUB(cublasLtMatmulPreferenceCreate)
STUB(cublasLtMatmulPreferenceSetAttribute)
STUB(cublasLtMatmulPreferenceDestroy)
STUB(cublasLtMatmulAlgoGetHeuristic)
STUB(cublasLtMatmul)
#endif
