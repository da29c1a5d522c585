// The emulated launch (see emu.h) and the few CUDA runtime calls the op files make.
#include "emu.h"

#include <barrier>
#include <memory>
#include <thread>
#include <vector>

thread_local uint3 threadIdx, blockIdx;
thread_local dim3 blockDim, gridDim;

namespace emu {
namespace {

std::unique_ptr<std::barrier<>> block_barrier;
std::vector<double> exchange;  // one slot per thread of the running block

unsigned linear_thread() {
  return threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
}

}  // namespace

void syncthreads() { block_barrier->arrive_and_wait(); }

double shfl_xor(double v, int lane_mask) {
  const unsigned tid = linear_thread();
  exchange[tid] = v;
  syncthreads();
  const double r = exchange[tid ^ static_cast<unsigned>(lane_mask)];
  syncthreads();  // nobody overwrites a slot before its reader is done
  return r;
}

void run_grid(dim3 grid, dim3 block, const std::function<void()>& body) {
  const unsigned threads = block.x * block.y * block.z;
  for (unsigned bz = 0; bz < grid.z; ++bz) {
    for (unsigned by = 0; by < grid.y; ++by) {
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        block_barrier = std::make_unique<std::barrier<>>(threads);
        exchange.assign(threads, 0.0);
        std::vector<std::thread> pool;
        pool.reserve(threads);
        for (unsigned t = 0; t < threads; ++t) {
          pool.emplace_back([&, t] {
            threadIdx = uint3{t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
            blockIdx = uint3{bx, by, bz};
            blockDim = block;
            gridDim = grid;
            body();
            // an exited thread no longer holds back the barrier, as on the GPU
            block_barrier->arrive_and_drop();
          });
        }
        for (std::thread& th : pool) th.join();
      }
    }
  }
}

}  // namespace emu

extern "C" {
cudaError_t cudaGetLastError(void) { return cudaSuccess; }
const char* cudaGetErrorName(cudaError_t) { return "cudaEmulated"; }
const char* cudaGetErrorString(cudaError_t) { return "emulated CUDA error"; }
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind,
                            cudaStream_t) {
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}
}
