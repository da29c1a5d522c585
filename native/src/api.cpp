// C API: errors, devices, streams and memory. The ops are in api_ops.cpp.
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "api_boundary.h"
#include "vendor.h"

using namespace g4j;

namespace {

// Host allocations of the CPU "device", with their sizes for g4j_memory_stats.
struct HostHeap {
  std::mutex mutex;
  std::unordered_map<void*, size_t> sizes;
  size_t in_use = 0;
};
HostHeap& host_heap() {
  static HostHeap* heap = new HostHeap();  // never destroyed: usable during static teardown
  return *heap;
}

// g4j_host_alloc results that are page-locked (freed with cudaFreeHost) rather than ordinary.
struct PinnedSet {
  std::mutex mutex;
  std::unordered_set<void*> ptrs;
};
PinnedSet& pinned_set() {
  static PinnedSet* set = new PinnedSet();
  return *set;
}

void* aligned_host_alloc(size_t bytes) {
  constexpr size_t kAlign = 64;
  if (bytes > SIZE_MAX - kAlign) return nullptr;
  size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
  return std::aligned_alloc(kAlign, rounded);
}

void copy_reason(const std::string& text, char* buf, size_t cap) {
  if (buf == nullptr || cap == 0) return;
  size_t n = text.size() < cap - 1 ? text.size() : cap - 1;
  std::memcpy(buf, text.data(), n);
  buf[n] = '\0';
}

void need_cuda_device(int device) {
  std::string reason;
  int count = cuda::device_count(&reason);
  if (count == 0) fail(G4J_ERR_NO_DEVICE, "no CUDA device: %s", reason.c_str());
  if (device >= count) {
    fail(G4J_ERR_NO_DEVICE, "CUDA device %d requested, but only %d present", device, count);
  }
}

}  // namespace

extern "C" {

const char* g4j_last_error(void) { return last_error().c_str(); }

int g4j_api_version(void) { return G4J_API_VERSION; }

int g4j_cuda_compiled(void) {
#ifdef G4J_WITH_CUDA
  return 1;
#else
  return 0;
#endif
}

int g4j_cuda_device_count(int* count, char* reason, size_t cap) {
  return guard("g4j_cuda_device_count", [&] {
    need(count, "count");
    std::string why;
    *count = cuda::device_count(&why);
    copy_reason(*count == 0 ? why : std::string(), reason, cap);
  });
}

int g4j_cuda_device_info(int device, char* name, size_t cap, size_t* total_bytes) {
  return guard("g4j_cuda_device_info", [&] {
    need_at_least(device, 0, "device");
    need_cuda_device(device);
    std::string n;
    size_t total = 0;
    cuda::device_info(device, &n, &total);
    copy_reason(n, name, cap);
    if (total_bytes != nullptr) *total_bytes = total;
  });
}

int g4j_device_supports_dtype(int device, int dtype, int* supported) {
  return guard("g4j_device_supports_dtype", [&] {
    need(supported, "supported");
    if (!is_dtype(dtype)) fail(G4J_ERR_INVALID_ARGUMENT, "unknown dtype %d", dtype);
    if (device < 0) {
      *supported = dtype == G4J_F32;
    } else {
      need_cuda_device(device);
      *supported = 1;
    }
  });
}

int g4j_stream_create(int device, g4j_stream** out) {
  return guard("g4j_stream_create", [&] {
    need(out, "out");
    *out = nullptr;
    if (device < 0) {
      *out = new g4j_stream{-1, nullptr};
      return;
    }
    need_cuda_device(device);
    void* cs = cuda::stream_create(device);
    *out = new g4j_stream{device, cs};
  });
}

int g4j_stream_destroy(g4j_stream* stream) {
  return guard("g4j_stream_destroy", [&] {
    if (stream == nullptr) return;
    if (stream->device >= 0) cuda::stream_destroy(stream->device, stream->cuda_stream);
    delete stream;
  });
}

int g4j_stream_synchronize(g4j_stream* stream) {
  return guard("g4j_stream_synchronize", [&] {
    need_stream(stream);
    if (stream->device >= 0) cuda::stream_synchronize(stream->device, stream->cuda_stream);
  });
}

int g4j_stream_wait(g4j_stream* waiter, g4j_stream* signaler) {
  return guard("g4j_stream_wait", [&] {
    need(waiter, "waiter");
    need(signaler, "signaler");
    if (signaler->device < 0) return;  // CPU work is complete when its call returns
    if (waiter->device < 0) {
      cuda::stream_synchronize(signaler->device, signaler->cuda_stream);
    } else {
      cuda::stream_wait(waiter->device, waiter->cuda_stream, signaler->device,
                        signaler->cuda_stream);
    }
  });
}

int g4j_cuda_set_vendor(int enabled) {
  return guard("g4j_cuda_set_vendor", [&] { vendor::set_enabled(enabled != 0); });
}

int g4j_cuda_vendor_info(int* active, char* text, size_t cap) {
  return guard("g4j_cuda_vendor_info", [&] {
    int mask = 0;
    const std::string line = vendor::info(&mask);
    if (active != nullptr) *active = mask;
    copy_reason(line, text, cap);
  });
}

int g4j_cuda_path_counts(int64_t* counts) {
  return guard("g4j_cuda_path_counts", [&] {
    need(counts, "counts");
    vendor::path_counts(counts);
  });
}

int g4j_set_num_threads(int threads) {
  return guard("g4j_set_num_threads", [&] {
    need_at_least(threads, 1, "threads");
    cpu::set_num_threads(threads);
  });
}

int g4j_get_num_threads(int* threads) {
  return guard("g4j_get_num_threads", [&] {
    need(threads, "threads");
    *threads = cpu::num_threads();
  });
}

int g4j_malloc(g4j_stream* stream, size_t bytes, void** out) {
  return guard("g4j_malloc", [&] {
    need_stream(stream);
    need(out, "out");
    *out = nullptr;
    if (bytes == 0) return;
    if (stream->device >= 0) {
      *out = cuda::malloc_async(stream->device, stream->cuda_stream, bytes);
      return;
    }
    void* p = aligned_host_alloc(bytes);
    if (p == nullptr) {
      fail(G4J_ERR_OUT_OF_MEMORY, "could not allocate %zu bytes of host memory", bytes);
    }
    HostHeap& heap = host_heap();
    std::lock_guard<std::mutex> lock(heap.mutex);
    heap.sizes[p] = bytes;
    heap.in_use += bytes;
    *out = p;
  });
}

int g4j_free(g4j_stream* stream, void* ptr) {
  return guard("g4j_free", [&] {
    need_stream(stream);
    if (ptr == nullptr) return;
    if (stream->device >= 0) {
      cuda::free_async(stream->device, stream->cuda_stream, ptr);
      return;
    }
    HostHeap& heap = host_heap();
    {
      std::lock_guard<std::mutex> lock(heap.mutex);
      auto it = heap.sizes.find(ptr);
      if (it == heap.sizes.end()) {
        fail(G4J_ERR_INVALID_ARGUMENT, "pointer %p was not allocated by g4j_malloc on the CPU",
             ptr);
      }
      heap.in_use -= it->second;
      heap.sizes.erase(it);
    }
    std::free(ptr);
  });
}

int g4j_host_alloc(size_t bytes, void** out) {
  return guard("g4j_host_alloc", [&] {
    need(out, "out");
    *out = nullptr;
    if (bytes == 0) return;
    std::string unused;
    if (cuda::device_count(&unused) > 0) {
      void* p = cuda::host_alloc_pinned(bytes);
      PinnedSet& set = pinned_set();
      std::lock_guard<std::mutex> lock(set.mutex);
      set.ptrs.insert(p);
      *out = p;
      return;
    }
    void* p = aligned_host_alloc(bytes);
    if (p == nullptr) {
      fail(G4J_ERR_OUT_OF_MEMORY, "could not allocate %zu bytes of host memory", bytes);
    }
    *out = p;
  });
}

int g4j_host_free(void* ptr) {
  return guard("g4j_host_free", [&] {
    if (ptr == nullptr) return;
    bool pinned;
    {
      PinnedSet& set = pinned_set();
      std::lock_guard<std::mutex> lock(set.mutex);
      pinned = set.ptrs.erase(ptr) > 0;
    }
    if (pinned) {
      cuda::host_free_pinned(ptr);
    } else {
      std::free(ptr);
    }
  });
}

int g4j_memcpy(g4j_stream* stream, void* dst, const void* src, size_t bytes) {
  return guard("g4j_memcpy", [&] {
    need_stream(stream);
    if (bytes == 0) return;
    need(dst, "dst");
    need(src, "src");
    if (stream->device >= 0) {
      cuda::memcpy_async(stream->device, stream->cuda_stream, dst, src, bytes);
    } else {
      std::memmove(dst, src, bytes);
    }
  });
}

int g4j_memcpy_2d(g4j_stream* stream, void* dst, size_t dst_pitch, const void* src,
                  size_t src_pitch, size_t row_bytes, size_t rows) {
  return guard("g4j_memcpy_2d", [&] {
    need_stream(stream);
    if (row_bytes == 0 || rows == 0) return;
    need(dst, "dst");
    need(src, "src");
    if (dst_pitch < row_bytes || src_pitch < row_bytes) {
      fail(G4J_ERR_INVALID_ARGUMENT,
           "pitches must be >= row_bytes (%zu), got dst_pitch %zu, src_pitch %zu", row_bytes,
           dst_pitch, src_pitch);
    }
    if (stream->device >= 0) {
      cuda::memcpy_2d_async(stream->device, stream->cuda_stream, dst, dst_pitch, src, src_pitch,
                            row_bytes, rows);
      return;
    }
    auto* d = static_cast<char*>(dst);
    auto* s = static_cast<const char*>(src);
    for (size_t r = 0; r < rows; ++r) std::memmove(d + r * dst_pitch, s + r * src_pitch, row_bytes);
  });
}

int g4j_memory_stats(g4j_stream* stream, size_t* in_use, size_t* reserved) {
  return guard("g4j_memory_stats", [&] {
    need_stream(stream);
    need(in_use, "in_use");
    need(reserved, "reserved");
    if (stream->device >= 0) {
      cuda::memory_stats(stream->device, in_use, reserved);
      return;
    }
    HostHeap& heap = host_heap();
    std::lock_guard<std::mutex> lock(heap.mutex);
    *in_use = heap.in_use;
    *reserved = heap.in_use;  // the CPU backend returns freed memory to the C allocator
  });
}

}  // extern "C"
