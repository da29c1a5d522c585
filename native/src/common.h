// Internal error convention: backends throw g4j::Error; api.cpp is the one boundary that turns it
// into a g4j_status plus the thread-local last-error text. Nothing here aborts the process.
#pragma once

#include <cstdarg>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "guidance4j.h"

namespace g4j {

class Error : public std::runtime_error {
 public:
  Error(g4j_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  g4j_status status() const { return status_; }

 private:
  g4j_status status_;
};

// printf-style formatting into a std::string.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Throws Error(status, formatted message).
[[noreturn]] void fail(g4j_status status, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));

// Records a failure of `op`: "op: message detail" becomes the calling thread's last-error text
// and the kept text of a new failure id, returned as the call's code (status | id << 8, see
// guidance4j.h). Never throws: when even the text cannot be stored, the bare status comes back.
int record_error(g4j_status status, const char* op, const char* message,
                 const char* detail = "") noexcept;
const std::string& last_error();
// The kept text of the failure `code` identifies ("" for a bare status).
std::string error_text(int code);

inline size_t dtype_size(int dtype) { return dtype == G4J_F32 ? 4 : 2; }
inline const char* dtype_name(int dtype) {
  switch (dtype) {
    case G4J_F32: return "F32";
    case G4J_F16: return "F16";
    case G4J_BF16: return "BF16";
    default: return "unknown";
  }
}

}  // namespace g4j
