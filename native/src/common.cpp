#include "common.h"

#include <cstdio>
#include <mutex>
#include <vector>

namespace g4j {

namespace {
std::string vformat(const char* fmt, va_list args) {
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (n < 0) return fmt;
  std::vector<char> buf(static_cast<size_t>(n) + 1);
  std::vsnprintf(buf.data(), buf.size(), fmt, args);
  return std::string(buf.data(), static_cast<size_t>(n));
}

thread_local std::string t_last_error;

// The texts of the last kKept failures, each under its id; ids run 1..kMaxId and then wrap, and
// kMaxId + 1 is a multiple of kKept, so an id always maps to the same slot.
constexpr uint32_t kIdBits = 23;  // code = status | id << 8 stays a positive int
constexpr uint32_t kMaxId = (1u << kIdBits) - 1;
constexpr uint32_t kKept = 1024;
struct KeptError {
  int code = 0;
  std::string text;
};
struct KeptErrors {
  std::mutex mutex;
  KeptError slots[kKept];
  uint32_t last_id = 0;
};
KeptErrors& kept_errors() {
  static KeptErrors* kept = new KeptErrors();  // never destroyed: usable during static teardown
  return *kept;
}
}  // namespace

std::string format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::string s = vformat(fmt, args);
  va_end(args);
  return s;
}

void fail(g4j_status status, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::string s = vformat(fmt, args);
  va_end(args);
  throw Error(status, s);
}

int record_error(g4j_status status, const char* op, const char* message,
                 const char* detail) noexcept {
  try {
    std::string text = std::string(op) + ": " + message + detail;
    t_last_error = text;
    KeptErrors& kept = kept_errors();
    std::lock_guard<std::mutex> lock(kept.mutex);
    kept.last_id = kept.last_id % kMaxId + 1;
    const int code = static_cast<int>(kept.last_id << 8) | static_cast<int>(status);
    KeptError& slot = kept.slots[kept.last_id % kKept];
    slot.code = code;
    slot.text = std::move(text);
    return code;
  } catch (...) {
    return status;  // out of memory for the text: the status alone still says what failed
  }
}

const std::string& last_error() { return t_last_error; }

std::string error_text(int code) {
  const uint32_t id = static_cast<uint32_t>(code) >> 8;
  if (code <= 0 || id == 0 || id > kMaxId) return std::string();
  KeptErrors& kept = kept_errors();
  std::lock_guard<std::mutex> lock(kept.mutex);
  const KeptError& slot = kept.slots[id % kKept];
  if (slot.code == code) return slot.text;
  return format("(the text of failure %u is no longer kept: the library keeps its last %u)", id,
                kKept);
}

}  // namespace g4j
