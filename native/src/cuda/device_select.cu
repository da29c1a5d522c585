// cudaSetDevice per op: cheap when the device is already current, and required because the
// Java caller may enqueue work for several devices from one thread, or from a new thread whose
// current device is still 0.
#include <cuda_runtime.h>

#include "ops.h"

namespace g4j::cuda {

void set_device(int device) {
  cudaError_t err = cudaSetDevice(device);
  if (err != cudaSuccess) {
    fail(err == cudaErrorInvalidDevice ? G4J_ERR_NO_DEVICE : G4J_ERR_CUDA,
         "cudaSetDevice(%d) failed: %s", device, cudaGetErrorString(err));
  }
}

}  // namespace g4j::cuda
