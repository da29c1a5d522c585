// The vendor path's switch, per-path call counts and description (vendor.h).
#include "vendor.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "common.h"

namespace g4j {
namespace vendor {
namespace {

std::atomic<int64_t> counts[4];

int initial_switch() {
  const char* v = std::getenv("G4J_CUDA_VENDOR");
  return v != nullptr && std::strcmp(v, "0") == 0 ? 0 : 1;
}
std::atomic<int> switch_on{initial_switch()};

std::mutex disabled_mutex;
std::string cudnn_disabled, cublaslt_disabled;  // non-empty: why the library was turned off

// A copy of one of the two reasons above, taken under the lock.
std::string disabled_reason(const std::string& reason) {
  std::lock_guard<std::mutex> lock(disabled_mutex);
  return reason;
}

bool libraries_can_run() {
#ifdef G4J_WITH_CUDA
  return runs_here();
#else
  return false;
#endif
}

}  // namespace

void count(Path p) { counts[static_cast<int>(p)].fetch_add(1, std::memory_order_relaxed); }

void path_counts(int64_t out[4]) {
  for (int i = 0; i < 4; ++i) out[i] = counts[i].load(std::memory_order_relaxed);
}

bool enabled() { return switch_on.load(std::memory_order_relaxed) != 0; }
void set_enabled(bool on) { switch_on.store(on ? 1 : 0, std::memory_order_relaxed); }

const cudnn::Api* cudnn_on() {
  if (!enabled() || !libraries_can_run()) return nullptr;
  if (!disabled_reason(cudnn_disabled).empty()) return nullptr;
  return cudnn::api(nullptr, nullptr, nullptr);
}

const cublaslt::Api* cublaslt_on() {
  if (!enabled() || !libraries_can_run()) return nullptr;
  if (!disabled_reason(cublaslt_disabled).empty()) return nullptr;
  return cublaslt::api(nullptr, nullptr, nullptr);
}

void disable_cudnn(const std::string& why) {
  std::lock_guard<std::mutex> lock(disabled_mutex);
  if (cudnn_disabled.empty()) cudnn_disabled = why;
}

void disable_cublaslt(const std::string& why) {
  std::lock_guard<std::mutex> lock(disabled_mutex);
  if (cublaslt_disabled.empty()) cublaslt_disabled = why;
}

std::string info(int* active) {
  *active = 0;
  std::string off;  // why neither library runs, when that is one reason for both
#ifndef G4J_WITH_CUDA
  off = "guidance4j was built without the CUDA backend";
#else
  if (!runs_here()) off = "the CUDA emulation runs the hand-written kernels only";
#endif
  if (off.empty() && !enabled()) {
    off = "switched off (G4J_CUDA_VENDOR=0 or g4j_cuda_set_vendor(0))";
  }
  if (!off.empty()) {
    return "conv2d, gemm/linear: hand-written (vendor path off: " + off + ")";
  }
  std::string text;
  {
    std::string why, path, version;
    const bool loaded = cudnn::api(&why, &path, &version) != nullptr;
    const std::string disabled = disabled_reason(cudnn_disabled);
    if (loaded && disabled.empty()) {
      *active |= G4J_VENDOR_CUDNN;
      text = "conv2d: cuDNN " + version + " (" + path + ")";
    } else {
      text = "conv2d: hand-written (vendor path off: " + (loaded ? disabled : why) + ")";
    }
  }
  {
    std::string why, path, version;
    const bool loaded = cublaslt::api(&why, &path, &version) != nullptr;
    const std::string disabled = disabled_reason(cublaslt_disabled);
    if (loaded && disabled.empty()) {
      *active |= G4J_VENDOR_CUBLASLT;
      text += "; gemm/linear: cuBLASLt " + version + " (" + path + ")";
    } else {
      text += "; gemm/linear: hand-written (vendor path off: " + (loaded ? disabled : why) + ")";
    }
  }
  return text;
}

}  // namespace vendor
}  // namespace g4j
