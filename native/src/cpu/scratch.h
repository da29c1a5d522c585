// Per-thread, 64-byte aligned scratch buffers that grow and are reused across calls, so the
// hot loops (GEMM packing, attention scores) allocate nothing after warm-up. Each user takes
// its own slot: a thread may hold several at once (attention's scores while its GEMM packs).
#pragma once

#include <cstddef>
#include <cstdlib>

#include "../common.h"

namespace g4j {
namespace cpu {

enum ScratchSlot { kScratchPackA = 0, kScratchPackB, kScratchAttention, kScratchSlots };

class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  ~ScratchBuffer() { std::free(ptr_); }

  float* get(size_t floats) {
    if (floats > cap_) {
      std::free(ptr_);
      ptr_ = nullptr;
      cap_ = 0;
      const size_t bytes = ((floats * sizeof(float) + 63) / 64) * 64;
      ptr_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!ptr_) fail(G4J_ERR_OUT_OF_MEMORY, "cpu: cannot allocate %zu bytes of scratch", bytes);
      cap_ = floats;
    }
    return ptr_;
  }

 private:
  float* ptr_ = nullptr;
  size_t cap_ = 0;
};

inline float* scratch(ScratchSlot slot, size_t floats) {
  thread_local ScratchBuffer buffers[kScratchSlots];
  return buffers[slot].get(floats == 0 ? 1 : floats);
}

}  // namespace cpu
}  // namespace g4j
