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
std::vector<unsigned char> exchange_bytes;  // kExchangeBytes per thread of the running block
unsigned char* block_smem = nullptr;       // the running block's dynamic shared memory

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

void warp_exchange(const void* mine, void* all, size_t bytes) {
  if (bytes > kExchangeBytes) {
    std::fprintf(stderr, "emulated warp exchange: %zu bytes > %zu\n", bytes, kExchangeBytes);
    std::abort();
  }
  const unsigned tid = linear_thread();
  std::memcpy(exchange_bytes.data() + tid * kExchangeBytes, mine, bytes);
  syncthreads();
  const unsigned base = tid & ~31u;
  for (unsigned l = 0; l < 32; ++l) {
    std::memcpy(static_cast<unsigned char*>(all) + l * bytes,
                exchange_bytes.data() + (base + l) * kExchangeBytes, bytes);
  }
  syncthreads();  // nobody overwrites a slot before its readers are done
}

int lane_id() { return static_cast<int>(linear_thread() % 32); }

void check_aligned(const void* p, size_t alignment, const char* what) {
  if (reinterpret_cast<uintptr_t>(p) % alignment != 0) {
    std::fprintf(stderr, "emulated CUDA: %s %p is not %zu-byte aligned\n", what, p, alignment);
    std::abort();
  }
}

unsigned char* dynamic_smem() { return block_smem; }

void run_grid(dim3 grid, dim3 block, size_t smem, const std::function<void()>& body) {
  const unsigned threads = block.x * block.y * block.z;
  if (threads % 32 != 0) {
    // warp-collective emulation assumes whole warps; a partial one would read stale slots
    exchange_bytes.assign(((threads + 31) / 32) * 32 * kExchangeBytes, 0);
  } else {
    exchange_bytes.assign(threads * kExchangeBytes, 0);
  }
  std::vector<unsigned char> smem_storage(smem + 128);
  block_smem = reinterpret_cast<unsigned char*>(
      (reinterpret_cast<uintptr_t>(smem_storage.data()) + 127) & ~uintptr_t{127});
  for (unsigned bz = 0; bz < grid.z; ++bz) {
    for (unsigned by = 0; by < grid.y; ++by) {
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        block_barrier = std::make_unique<std::barrier<>>(threads);
        exchange.assign(threads, 0.0);
        // poisoned like device memory: a kernel that reads shared memory it never wrote shows it
        std::memset(block_smem, 0xff, smem);
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
// The plain allocation and copy calls of standalone test programs (native/tests/cuda).
cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}
cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  *ptr = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  return *ptr != nullptr ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaFree(void* ptr) {
  std::free(ptr);
  return cudaSuccess;
}
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind) {
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemset(void* ptr, int value, size_t bytes) {
  std::memset(ptr, value, bytes);
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* device) {
  *device = 0;
  return cudaSuccess;
}
// An H100's shared memory limits on a device of two multiprocessors (G4J_EMU_SMS overrides the
// count); the tensor-core kernels size their launches and split-K from these.
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int) {
  switch (attr) {
    case cudaDevAttrMultiProcessorCount: {
      const char* v = std::getenv("G4J_EMU_SMS");
      *value = v != nullptr && std::atoi(v) > 0 ? std::atoi(v) : 2;
      return cudaSuccess;
    }
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = 227 * 1024; return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerMultiprocessor: *value = 228 * 1024; return cudaSuccess;
    default: return cudaErrorInvalidValue;
  }
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind,
                            cudaStream_t) {
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}
}
