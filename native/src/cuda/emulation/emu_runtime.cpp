// The runtime half of the CUDA backend (runtime.cu, device_select.cu) for the emulation: one
// device whose memory is host memory and whose streams complete every op before returning.
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <cuda_runtime.h>

#include "ops.h"

namespace g4j {
namespace cuda {
namespace {

std::mutex mutex;
std::unordered_map<void*, size_t> live;
size_t used = 0;

}  // namespace

void set_device(int) {}
int device_count(std::string* reason) {
  if (reason != nullptr) reason->clear();
  return 1;
}
void device_info(int, std::string* name, size_t* total_bytes) {
  if (name != nullptr) *name = "emulated CUDA device (CPU threads)";
  if (total_bytes != nullptr) *total_bytes = size_t{1} << 34;
}
Stream stream_create(int) { return new int(0); }
void stream_destroy(int, Stream s) { delete static_cast<int*>(s); }
void stream_synchronize(int, Stream) {}
void stream_wait(int, Stream, int, Stream) {}

void* malloc_async(int, Stream, size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (p == nullptr) fail(G4J_ERR_OUT_OF_MEMORY, "emulated device: %zu bytes", bytes);
  std::memset(p, 0xff, bytes);  // NaN in every dtype: a kernel that reads `out` shows it
  std::lock_guard<std::mutex> lock(mutex);
  live[p] = bytes;
  used += bytes;
  return p;
}
void free_async(int, Stream, void* p) {
  if (p == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(mutex);
    used -= live[p];
    live.erase(p);
  }
  std::free(p);
}
void* scratch_alloc(cudaStream_t s, size_t bytes) { return malloc_async(0, s, bytes); }
void scratch_free(cudaStream_t s, void* p) noexcept { free_async(0, s, p); }
void* host_alloc_pinned(size_t bytes) { return std::aligned_alloc(64, (bytes + 63) / 64 * 64); }
void host_free_pinned(void* p) { std::free(p); }
bool is_pinned(const void*) { return false; }
void memcpy_async(int, Stream, void* dst, const void* src, size_t bytes) {
  std::memmove(dst, src, bytes);
}
void memcpy_2d_async(int, Stream, void* dst, size_t dst_pitch, const void* src, size_t src_pitch,
                     size_t row_bytes, size_t rows) {
  for (size_t r = 0; r < rows; ++r) {
    std::memmove(static_cast<char*>(dst) + r * dst_pitch,
                 static_cast<const char*>(src) + r * src_pitch, row_bytes);
  }
}
void memory_stats(int, size_t* in_use, size_t* reserved) {
  std::lock_guard<std::mutex> lock(mutex);
  if (in_use != nullptr) *in_use = used;
  if (reserved != nullptr) *reserved = used;
}

}  // namespace cuda
}  // namespace g4j

// Kernels with more than 48 KiB of dynamic shared memory opt in with this; the emulation has no
// such limit.
extern "C" cudaError_t cudaFuncSetAttribute(const void*, enum cudaFuncAttribute, int) {
  return cudaSuccess;
}
