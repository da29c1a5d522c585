// The SGEMM register-blocked micro-kernel: tile (kMR x kNR, row-major) = sum over p of
// a[p * kMR + r] * b[p * kNR + c] for packed panels a (kc x kMR) and b (kc x kNR). The whole
// tile lives in registers for the k loop: AVX-512 12 x 32 (24 accumulators), AVX2 6 x 16
// (12 accumulators, the classic Haswell shape), or a scalar 4 x 8 fallback.
#pragma once

#include <cstdint>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace g4j {
namespace cpu {

#if defined(__AVX512F__)

constexpr int kMR = 12;
constexpr int kNR = 32;

inline void micro_kernel(int64_t kc, const float* a, const float* b, float* tile) {
  constexpr int kNV = kNR / 16;
  __m512 acc[kMR][kNV];
#pragma GCC unroll 16
  for (int r = 0; r < kMR; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < kc; ++p) {
    __m512 bv[kNV];
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) bv[v] = _mm512_loadu_ps(b + v * 16);
#pragma GCC unroll 16
    for (int r = 0; r < kMR; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
#pragma GCC unroll 4
      for (int v = 0; v < kNV; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
    a += kMR;
    b += kNR;
  }
#pragma GCC unroll 16
  for (int r = 0; r < kMR; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) _mm512_storeu_ps(tile + r * kNR + v * 16, acc[r][v]);
  }
}

#elif defined(__AVX2__) && defined(__FMA__)

constexpr int kMR = 6;
constexpr int kNR = 16;

inline void micro_kernel(int64_t kc, const float* a, const float* b, float* tile) {
  __m256 acc[kMR][2];
#pragma GCC unroll 8
  for (int r = 0; r < kMR; ++r) {
    acc[r][0] = _mm256_setzero_ps();
    acc[r][1] = _mm256_setzero_ps();
  }
  for (int64_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 8
    for (int r = 0; r < kMR; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
    a += kMR;
    b += kNR;
  }
#pragma GCC unroll 8
  for (int r = 0; r < kMR; ++r) {
    _mm256_storeu_ps(tile + r * kNR, acc[r][0]);
    _mm256_storeu_ps(tile + r * kNR + 8, acc[r][1]);
  }
}

#else

constexpr int kMR = 4;
constexpr int kNR = 8;

inline void micro_kernel(int64_t kc, const float* a, const float* b, float* tile) {
  float acc[kMR][kNR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    for (int r = 0; r < kMR; ++r) {
      const float av = a[r];
      for (int c = 0; c < kNR; ++c) acc[r][c] += av * b[c];
    }
    a += kMR;
    b += kNR;
  }
  for (int r = 0; r < kMR; ++r)
    for (int c = 0; c < kNR; ++c) tile[r * kNR + c] = acc[r][c];
}

#endif

}  // namespace cpu
}  // namespace g4j
