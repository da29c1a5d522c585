// The tensor-core routes of the convolution ops (conv_mma.cu): each returns true when it ran the
// op, false when the op is not one it takes (F32, G4J_CUDA_TENSOR_CORES=0, kernel sizes other
// than 1 and 3, strided input gradients) and the caller's general kernels must run it.
#pragma once

#include "common.cuh"

namespace g4j {
namespace cuda {

bool conv_forward_mma(cudaStream_t stream, const Conv2dArgs& a);
bool conv_backward_input_mma(cudaStream_t stream, const Conv2dBackwardInputArgs& a);

}  // namespace cuda
}  // namespace g4j
