// Shared pieces of the C API boundary (api.cpp: runtime, api_ops.cpp: ops): the stream object,
// the exception-to-status guard, and the argument checks every entry point uses.
#pragma once

#include <cmath>
#include <new>
#include <string>

#include "common.h"
#include "ops.h"

struct g4j_stream {
  int device;        // < 0: CPU backend
  void* cuda_stream;  // cudaStream_t for device >= 0
};

namespace g4j {

// The code of the exception being handled: its status plus the id of the kept text
// "op: message" (record_error). Never throws.
inline int record_current_exception(const char* op) noexcept {
  try {
    throw;
  } catch (const Error& e) {
    return record_error(e.status(), op, e.what());
  } catch (const std::bad_alloc&) {
    return record_error(G4J_ERR_OUT_OF_MEMORY, op, "out of host memory");
  } catch (const std::exception& e) {
    return record_error(G4J_ERR_INTERNAL, op, "internal error: ", e.what());
  } catch (...) {
    return record_error(G4J_ERR_INTERNAL, op, "internal error (unknown exception)");
  }
}

// Runs `body`, translating every exception into a code (record_current_exception).
template <class Body>
int guard(const char* op, Body&& body) noexcept {
  try {
    body();
    return G4J_OK;
  } catch (...) {
    return record_current_exception(op);
  }
}

inline void need(const void* p, const char* name) {
  if (p == nullptr) fail(G4J_ERR_INVALID_ARGUMENT, "argument '%s' is NULL", name);
}

inline void need_stream(const g4j_stream* s) {
  if (s == nullptr) fail(G4J_ERR_INVALID_ARGUMENT, "argument 'stream' is NULL");
}

// A dimension that must be at least `min`.
inline void need_at_least(int64_t v, int64_t min, const char* name) {
  if (v < min) {
    fail(G4J_ERR_INVALID_ARGUMENT, "%s must be >= %lld, got %lld", name,
         static_cast<long long>(min), static_cast<long long>(v));
  }
}

// Product of non-negative sizes; fails on int64 overflow.
inline int64_t product(std::initializer_list<int64_t> dims) {
  int64_t r = 1;
  for (int64_t d : dims) {
    if (__builtin_mul_overflow(r, d, &r)) {
      fail(G4J_ERR_INVALID_ARGUMENT, "tensor size overflows 64 bits");
    }
  }
  return r;
}

inline bool is_dtype(int dtype) { return dtype == G4J_F32 || dtype == G4J_F16 || dtype == G4J_BF16; }

// The op's compute dtype must be known and supported by the stream's backend.
inline void need_dtype(const g4j_stream* s, int dtype) {
  if (!is_dtype(dtype)) fail(G4J_ERR_INVALID_ARGUMENT, "unknown dtype %d", dtype);
  if (s->device < 0 && dtype != G4J_F32) {
    fail(G4J_ERR_UNSUPPORTED,
         "the CPU backend computes in F32 only, got %s (convert with g4j_cast, or use a CUDA "
         "device)",
         dtype_name(dtype));
  }
}

inline void need_distinct(const void* a, const char* an, const void* b, const char* bn) {
  if (a != nullptr && a == b) {
    fail(G4J_ERR_INVALID_ARGUMENT, "'%s' must not alias '%s'", an, bn);
  }
}

// Hands validated arguments to the stream's backend (the CUDA device made current first).
template <class Args>
void run(g4j_stream* s, const Args& args, void (*cpu_op)(const Args&),
         void (*cuda_op)(cuda::Stream, const Args&)) {
  if (s->device < 0) {
    cpu_op(args);
  } else {
    cuda::set_device(s->device);
    cuda_op(s->cuda_stream, args);
  }
}
#define G4J_RUN(stream, op, args) ::g4j::run(stream, args, &cpu::op, &cuda::op)

inline void need_finite(float v, const char* name) {
  if (!std::isfinite(v)) fail(G4J_ERR_INVALID_ARGUMENT, "%s must be finite, got %g", name, v);
}

}  // namespace g4j
