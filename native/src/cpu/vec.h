// A minimal SIMD layer for the CPU backend: one float vector type `vf` of kLanes lanes (AVX-512,
// AVX2+FMA, or a scalar fallback) and the few operations the ops need, so each op is written
// once. The exp used by softmax and SiLU is a Cephes-style polynomial (about 1 ulp over the
// clamped range) because libm's expf is scalar and would dominate attention.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace g4j {
namespace cpu {

// exp(x) for one float, the same algorithm as vexp below (used for tails).
inline float exp_poly(float x) {
  if (x != x) return x;
  x = std::fmin(std::fmax(x, -87.33654f), 88.72283f);
  const float n = std::floor(x * 1.44269504088896341f + 0.5f);
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n split in two factors so n = 128 (x near the upper clamp) does not overflow the exponent.
  const int32_t ni = int32_t(n);
  const int32_t n1 = ni / 2, n2 = ni - n1;
  uint32_t b1 = uint32_t(n1 + 127) << 23, b2 = uint32_t(n2 + 127) << 23;
  float f1, f2;
  std::memcpy(&f1, &b1, 4);
  std::memcpy(&f2, &b2, 4);
  return p * f1 * f2;
}

#if defined(__AVX512F__)

// The unmasked forms of several AVX-512 intrinsics trip GCC 12's -Wmaybe-uninitialized (their
// pass-through operand is _mm512_undefined_*); the all-lanes masked forms compile identically.
using vf = __m512;
constexpr int kLanes = 16;
constexpr __mmask16 kAll = 0xFFFF;
inline vf vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, vf v) { _mm512_storeu_ps(p, v); }
inline vf vset1(float x) { return _mm512_set1_ps(x); }
inline vf vzero() { return _mm512_setzero_ps(); }
inline vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
inline vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
inline vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
inline vf vdiv(vf a, vf b) { return _mm512_div_ps(a, b); }
inline vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
// NaN in b propagates (maxps returns its second operand when either is NaN).
inline vf vmax(vf a, vf b) { return _mm512_mask_max_ps(b, kAll, a, b); }
inline vf vmin(vf a, vf b) { return _mm512_mask_min_ps(b, kAll, a, b); }
// Reductions go through memory: GCC 12's _mm512_reduce_* trip -Wmaybe-uninitialized.
inline float vsum(vf a) {
  alignas(64) float t[16];
  _mm512_store_ps(t, a);
  __m256 s8 = _mm256_add_ps(_mm256_load_ps(t), _mm256_load_ps(t + 8));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline float vhmax(vf a) {
  alignas(64) float t[16];
  _mm512_store_ps(t, a);
  __m256 s8 = _mm256_max_ps(_mm256_load_ps(t), _mm256_load_ps(t + 8));
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline vf vfloor(vf a) {
  return _mm512_mask_roundscale_ps(a, kAll, a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}
inline vf vpow2i(vf n) {  // 2^n for integral n in [-127, 127]
  const __m512i i = _mm512_mask_cvtps_epi32(_mm512_setzero_si512(), kAll, n);
  const __m512i e = _mm512_add_epi32(i, _mm512_set1_epi32(127));
  return _mm512_castsi512_ps(_mm512_mask_slli_epi32(e, kAll, e, 23));
}
inline vf vhalf_n(vf n) {
  const vf h = _mm512_mul_ps(n, _mm512_set1_ps(0.5f));
  return _mm512_mask_roundscale_ps(h, kAll, h, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
}

#elif defined(__AVX2__) && defined(__FMA__)

using vf = __m256;
constexpr int kLanes = 8;
inline vf vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, vf v) { _mm256_storeu_ps(p, v); }
inline vf vset1(float x) { return _mm256_set1_ps(x); }
inline vf vzero() { return _mm256_setzero_ps(); }
inline vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
inline vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
inline vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
inline vf vdiv(vf a, vf b) { return _mm256_div_ps(a, b); }
inline vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
inline vf vmax(vf a, vf b) { return _mm256_max_ps(a, b); }
inline vf vmin(vf a, vf b) { return _mm256_min_ps(a, b); }
inline float vsum(vf a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline float vhmax(vf a) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline vf vfloor(vf a) { return _mm256_floor_ps(a); }
inline vf vpow2i(vf n) {
  __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
  return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}
inline vf vhalf_n(vf n) {
  return _mm256_round_ps(_mm256_mul_ps(n, _mm256_set1_ps(0.5f)), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
}

#else

using vf = float;
constexpr int kLanes = 1;
inline vf vload(const float* p) { return *p; }
inline void vstore(float* p, vf v) { *p = v; }
inline vf vset1(float x) { return x; }
inline vf vzero() { return 0.0f; }
inline vf vadd(vf a, vf b) { return a + b; }
inline vf vsub(vf a, vf b) { return a - b; }
inline vf vmul(vf a, vf b) { return a * b; }
inline vf vdiv(vf a, vf b) { return a / b; }
inline vf vfma(vf a, vf b, vf c) { return a * b + c; }
inline vf vmax(vf a, vf b) { return a > b ? a : b; }  // maxps semantics: NaN -> b
inline vf vmin(vf a, vf b) { return a < b ? a : b; }
inline float vsum(vf a) { return a; }
inline float vhmax(vf a) { return a; }

#endif

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
// Vector exp with the same steps as exp_poly; NaN propagates through the clamps.
inline vf vexp(vf x) {
  x = vmin(vset1(88.72283f), vmax(vset1(-87.33654f), x));
  const vf n = vfloor(vfma(x, vset1(1.44269504088896341f), vset1(0.5f)));
  vf r = vfma(n, vset1(-0.693359375f), x);
  r = vfma(n, vset1(2.12194440e-4f), r);
  vf p = vset1(1.9875691500e-4f);
  p = vfma(p, r, vset1(1.3981999507e-3f));
  p = vfma(p, r, vset1(8.3334519073e-3f));
  p = vfma(p, r, vset1(4.1665795894e-2f));
  p = vfma(p, r, vset1(1.6666665459e-1f));
  p = vfma(p, r, vset1(5.0000001201e-1f));
  p = vfma(vmul(p, r), r, vadd(r, vset1(1.0f)));
  const vf n1 = vhalf_n(n);
  return vmul(vmul(p, vpow2i(n1)), vpow2i(vsub(n, n1)));
}
#else
inline vf vexp(vf x) { return exp_poly(x); }
#endif

inline float silu1(float x) { return x / (1.0f + exp_poly(-x)); }
inline vf vsilu(vf x) { return vdiv(x, vadd(vset1(1.0f), vexp(vsub(vzero(), x)))); }

// out[i] = silu(x[i]); out may alias x.
inline void silu_row(const float* x, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) vstore(out + i, vsilu(vload(x + i)));
  for (; i < n; ++i) out[i] = silu1(x[i]);
}

inline float dot(const float* a, const float* b, int64_t n) {
  vf s0 = vzero(), s1 = vzero(), s2 = vzero(), s3 = vzero();
  int64_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    s0 = vfma(vload(a + i), vload(b + i), s0);
    s1 = vfma(vload(a + i + kLanes), vload(b + i + kLanes), s1);
    s2 = vfma(vload(a + i + 2 * kLanes), vload(b + i + 2 * kLanes), s2);
    s3 = vfma(vload(a + i + 3 * kLanes), vload(b + i + 3 * kLanes), s3);
  }
  for (; i + kLanes <= n; i += kLanes) s0 = vfma(vload(a + i), vload(b + i), s0);
  float s = vsum(vadd(vadd(s0, s1), vadd(s2, s3)));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

#if defined(__AVX512F__)
inline __m512d cvt_pd(const float* p) {
  return _mm512_mask_cvtps_pd(_mm512_setzero_pd(), 0xFF, _mm256_loadu_ps(p));
}
inline double reduce_pd(__m512d v) {
  alignas(64) double t[8];
  _mm512_store_pd(t, v);
  return ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
}
#endif

// Sum of x and sum of (x - mean)^2 accumulated in double (GroupNorm statistics over up to
// millions of elements must not lose the small variance of a large mean).
inline double sum_double(const float* x, int64_t n) {
  int64_t i = 0;
  double s = 0.0;
#if defined(__AVX512F__)
  __m512d a0 = _mm512_setzero_pd(), a1 = _mm512_setzero_pd();
  for (; i + 16 <= n; i += 16) {
    a0 = _mm512_add_pd(a0, cvt_pd(x + i));
    a1 = _mm512_add_pd(a1, cvt_pd(x + i + 8));
  }
  s = reduce_pd(_mm512_add_pd(a0, a1));
#elif defined(__AVX2__)
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
  for (; i + 8 <= n; i += 8) {
    a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm_loadu_ps(x + i)));
    a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)));
  }
  double t[4];
  _mm256_storeu_pd(t, _mm256_add_pd(a0, a1));
  s = (t[0] + t[1]) + (t[2] + t[3]);
#endif
  for (; i < n; ++i) s += double(x[i]);
  return s;
}

inline double sum_sq_dev_double(const float* x, int64_t n, double mean) {
  int64_t i = 0;
  double s = 0.0;
#if defined(__AVX512F__)
  const __m512d m = _mm512_set1_pd(mean);
  __m512d a0 = _mm512_setzero_pd(), a1 = _mm512_setzero_pd();
  for (; i + 16 <= n; i += 16) {
    __m512d d0 = _mm512_sub_pd(cvt_pd(x + i), m);
    __m512d d1 = _mm512_sub_pd(cvt_pd(x + i + 8), m);
    a0 = _mm512_fmadd_pd(d0, d0, a0);
    a1 = _mm512_fmadd_pd(d1, d1, a1);
  }
  s = reduce_pd(_mm512_add_pd(a0, a1));
#elif defined(__AVX2__) && defined(__FMA__)
  const __m256d m = _mm256_set1_pd(mean);
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
  for (; i + 8 <= n; i += 8) {
    __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i)), m);
    __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)), m);
    a0 = _mm256_fmadd_pd(d0, d0, a0);
    a1 = _mm256_fmadd_pd(d1, d1, a1);
  }
  double t[4];
  _mm256_storeu_pd(t, _mm256_add_pd(a0, a1));
  s = (t[0] + t[1]) + (t[2] + t[3]);
#endif
  for (; i < n; ++i) {
    const double d = double(x[i]) - mean;
    s += d * d;
  }
  return s;
}

}  // namespace cpu
}  // namespace g4j
