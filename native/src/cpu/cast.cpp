// cast between F32, F16 and BF16 (the CPU backend's only non-F32 op). F16 uses the F16C
// instructions where the build has them (same round-to-nearest-even results as half.h, which
// handles the tails and every other pair).
#include <cstring>

#include "../half.h"
#include "../ops.h"
#include "thread_pool.h"

#if defined(__F16C__)
#include <immintrin.h>
#endif

namespace g4j {
namespace cpu {
namespace {

void f32_to_f16(const float* src, uint16_t* dst, int64_t n) {
  int64_t i = 0;
#if defined(__F16C__)
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
#endif
  for (; i < n; ++i) dst[i] = float_to_half(src[i]);
}

void f16_to_f32(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
#if defined(__F16C__)
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
  }
#endif
  for (; i < n; ++i) dst[i] = half_to_float(src[i]);
}

// Converts one element of any dtype to float and back (the generic, scalar path).
float load_as_float(int dtype, const void* p, int64_t i) {
  switch (dtype) {
    case G4J_F16: return half_to_float(static_cast<const uint16_t*>(p)[i]);
    case G4J_BF16: return bf16_to_float(static_cast<const uint16_t*>(p)[i]);
    default: return static_cast<const float*>(p)[i];
  }
}

void store_from_float(int dtype, void* p, int64_t i, float v) {
  switch (dtype) {
    case G4J_F16: static_cast<uint16_t*>(p)[i] = float_to_half(v); break;
    case G4J_BF16: static_cast<uint16_t*>(p)[i] = float_to_bf16(v); break;
    default: static_cast<float*>(p)[i] = v; break;
  }
}

}  // namespace

void cast(const CastArgs& a) {
  const size_t src_size = dtype_size(a.src_dtype), dst_size = dtype_size(a.dst_dtype);
  parallel_for(0, a.n, 65536, [&](int64_t lo, int64_t hi) {
    const int64_t len = hi - lo;
    const char* src = static_cast<const char*>(a.src) + size_t(lo) * src_size;
    char* dst = static_cast<char*>(a.dst) + size_t(lo) * dst_size;
    if (a.src_dtype == a.dst_dtype) {
      std::memmove(dst, src, size_t(len) * src_size);
    } else if (a.src_dtype == G4J_F32 && a.dst_dtype == G4J_F16) {
      f32_to_f16(reinterpret_cast<const float*>(src), reinterpret_cast<uint16_t*>(dst), len);
    } else if (a.src_dtype == G4J_F16 && a.dst_dtype == G4J_F32) {
      f16_to_f32(reinterpret_cast<const uint16_t*>(src), reinterpret_cast<float*>(dst), len);
    } else if (a.src_dtype == G4J_F32 && a.dst_dtype == G4J_BF16) {
      const float* s = reinterpret_cast<const float*>(src);
      uint16_t* d = reinterpret_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < len; ++i) d[i] = float_to_bf16(s[i]);
    } else if (a.src_dtype == G4J_BF16 && a.dst_dtype == G4J_F32) {
      const uint16_t* s = reinterpret_cast<const uint16_t*>(src);
      float* d = reinterpret_cast<float*>(dst);
      for (int64_t i = 0; i < len; ++i) d[i] = bf16_to_float(s[i]);
    } else {  // F16 <-> BF16, through float
      for (int64_t i = 0; i < len; ++i) {
        store_from_float(a.dst_dtype, dst, i, load_as_float(a.src_dtype, src, i));
      }
    }
  });
}

}  // namespace cpu
}  // namespace g4j
