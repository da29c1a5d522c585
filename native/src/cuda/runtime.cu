// Devices, streams, events and memory of the CUDA backend. Device memory comes from each device's
// default stream-ordered pool with an unbounded release threshold, so after the first sampling
// step every allocation is served from memory the pool already holds.
#include <climits>
#include <mutex>
#include <set>

#include "common.cuh"

namespace g4j {
namespace cuda {
namespace {

// The release threshold is a per-pool setting: set it once per device, on first allocation.
std::mutex pool_mutex;
std::set<int> pools_configured;

void configure_pool(int device) {
  std::lock_guard<std::mutex> lock(pool_mutex);
  if (pools_configured.count(device) != 0) return;
  cudaMemPool_t pool;
  CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
  uint64_t threshold = UINT64_MAX;
  CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold));
  pools_configured.insert(device);
}

std::string no_device_reason(cudaError_t err) {
  switch (err) {
    case cudaErrorNoDevice:
      return format("no CUDA-capable device is present (%s)", cudaGetErrorName(err));
    case cudaErrorInsufficientDriver:
      return format(
          "no NVIDIA driver is loaded, or it is older than the CUDA 13 runtime this library "
          "was built with (%s: %s)",
          cudaGetErrorName(err), cudaGetErrorString(err));
    default:
      return format("CUDA is unavailable: %s (%s)", cudaGetErrorName(err),
                    cudaGetErrorString(err));
  }
}

// Destroys an event on every path out of stream_wait.
struct EventGuard {
  cudaEvent_t event = nullptr;
  ~EventGuard() {
    if (event != nullptr) cudaEventDestroy(event);
  }
};

}  // namespace

int device_count(std::string* reason) {
  try {
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      cudaGetLastError();  // leave no error behind for the next, unrelated check
      if (reason != nullptr) *reason = no_device_reason(err);
      return 0;
    }
    if (count <= 0) {
      if (reason != nullptr) *reason = "the NVIDIA driver reports no CUDA device";
      return 0;
    }
    return count;
  } catch (...) {  // only std::bad_alloc from building the text can get here
    return 0;
  }
}

void device_info(int device, std::string* name, size_t* total_bytes) {
  cudaDeviceProp prop;
  CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  if (name != nullptr) *name = prop.name;
  if (total_bytes != nullptr) *total_bytes = prop.totalGlobalMem;
}

Stream stream_create(int device) {
  CUDA_CHECK(cudaSetDevice(device));
  cudaStream_t stream = nullptr;
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  return stream;
}

void stream_destroy(int device, Stream s) {
  CUDA_CHECK(cudaSetDevice(device));
  CUDA_CHECK(cudaStreamDestroy(as_cuda(s)));
}

void stream_synchronize(int device, Stream s) {
  CUDA_CHECK(cudaSetDevice(device));
  CUDA_CHECK(cudaStreamSynchronize(as_cuda(s)));
}

void stream_wait(int waiter_device, Stream waiter, int signaler_device, Stream signaler) {
  EventGuard guard;
  // The event belongs to the signaler's device; a stream may wait on an event of another device.
  CUDA_CHECK(cudaSetDevice(signaler_device));
  CUDA_CHECK(cudaEventCreateWithFlags(&guard.event, cudaEventDisableTiming));
  CUDA_CHECK(cudaEventRecord(guard.event, as_cuda(signaler)));
  CUDA_CHECK(cudaSetDevice(waiter_device));
  CUDA_CHECK(cudaStreamWaitEvent(as_cuda(waiter), guard.event, 0));
  // Destroying a recorded event is safe: CUDA releases it once the wait no longer needs it.
}

void* malloc_async(int device, Stream s, size_t bytes) {
  if (bytes == 0) return nullptr;
  CUDA_CHECK(cudaSetDevice(device));
  configure_pool(device);
  void* ptr = nullptr;
  cudaError_t err = cudaMallocAsync(&ptr, bytes, as_cuda(s));
  if (err != cudaSuccess) {
    cudaGetLastError();
    size_t in_use = 0, reserved = 0;
    std::string pool;
    try {
      memory_stats(device, &in_use, &reserved);
      pool = format(", pool in use %zu bytes, reserved %zu bytes", in_use, reserved);
    } catch (const Error&) {
      // the statistics only decorate the message
    }
    throw Error(status_of(err), format("cudaMallocAsync of %zu bytes on device %d failed: %s "
                                       "(%s)%s",
                                       bytes, device, cudaGetErrorName(err),
                                       cudaGetErrorString(err), pool.c_str()));
  }
  return ptr;
}

void* scratch_alloc(cudaStream_t stream, size_t bytes) {
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  return malloc_async(device, stream, bytes);
}

void scratch_free(cudaStream_t stream, void* ptr) noexcept {
  // Only a destructor calls this: a failure here would hide the error that unwound the op, and
  // the pool reclaims nothing less for it, so the status is dropped.
  if (ptr != nullptr && cudaFreeAsync(ptr, stream) != cudaSuccess) cudaGetLastError();
}

void free_async(int device, Stream s, void* ptr) {
  if (ptr == nullptr) return;
  CUDA_CHECK(cudaSetDevice(device));
  CUDA_CHECK(cudaFreeAsync(ptr, as_cuda(s)));
}

void* host_alloc_pinned(size_t bytes) {
  void* ptr = nullptr;
  cudaError_t err = cudaHostAlloc(&ptr, bytes, cudaHostAllocPortable);
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw Error(status_of(err), format("cudaHostAlloc of %zu pinned bytes failed: %s (%s)",
                                       bytes, cudaGetErrorName(err), cudaGetErrorString(err)));
  }
  return ptr;
}

void host_free_pinned(void* ptr) {
  if (ptr == nullptr) return;
  CUDA_CHECK(cudaFreeHost(ptr));
}

bool is_pinned(const void* ptr) {
  if (ptr == nullptr) return false;
  cudaPointerAttributes attr;
  cudaError_t err = cudaPointerGetAttributes(&attr, ptr);
  if (err != cudaSuccess) {
    cudaGetLastError();  // e.g. no driver: the pointer cannot be pinned then
    return false;
  }
  return attr.type == cudaMemoryTypeHost;
}

void memcpy_async(int device, Stream s, void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  CUDA_CHECK(cudaSetDevice(device));
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, as_cuda(s)));
}

void memcpy_2d_async(int device, Stream s, void* dst, size_t dst_pitch, const void* src,
                     size_t src_pitch, size_t row_bytes, size_t rows) {
  if (row_bytes == 0 || rows == 0) return;
  CUDA_CHECK(cudaSetDevice(device));
  CUDA_CHECK(cudaMemcpy2DAsync(dst, dst_pitch, src, src_pitch, row_bytes, rows,
                               cudaMemcpyDefault, as_cuda(s)));
}

void memory_stats(int device, size_t* in_use, size_t* reserved) {
  cudaMemPool_t pool;
  CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
  uint64_t used = 0, held = 0;
  CUDA_CHECK(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrUsedMemCurrent, &used));
  CUDA_CHECK(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrReservedMemCurrent, &held));
  if (in_use != nullptr) *in_use = static_cast<size_t>(used);
  if (reserved != nullptr) *reserved = static_cast<size_t>(held);
}

}  // namespace cuda
}  // namespace g4j
