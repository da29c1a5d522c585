// What GroupNorm's forward and backward kernels share: a group is one contiguous run of
// (channels / groups) * spatial values of one sample; its statistics come from two passes over
// the values a block holds (the sum, then the deviations from that mean), so they cannot cancel
// the way E[x^2] - E[x]^2 does when |mean| >> std. The second pass also sums the deviations
// themselves, which corrects the mean to within rounding of the deviations (the "corrected
// two-pass" algorithm): a large mean with a small spread keeps the spread's precision. Each
// thread sums its own values in F32 (the forward stages at most 16 vectors of 16 bytes per
// thread) or F64 (the backward's long loops); the block reduction is an F64 tree.
#pragma once

#include <type_traits>

#include "common.cuh"

namespace g4j {
namespace cuda {

constexpr int kGroupThreads = 256;  // the backward's block size

// ---- block reductions -----------------------------------------------------------------------

// The N sums of v over the block, returned to every thread (blockDim.x a multiple of 32, at
// most 1024). `red` holds 32 * N values of shared memory.
template <typename A, int N>
__device__ __forceinline__ void block_sum(A (&v)[N], A* red) {
#pragma unroll
  for (int k = 0; k < N; ++k)
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v[k] += __shfl_xor_sync(0xffffffffu, v[k], o);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = blockDim.x / 32;
  __syncthreads();  // an earlier call may still be reading red
  if (lane == 0)
#pragma unroll
    for (int k = 0; k < N; ++k) red[k * 32 + warp] = v[k];
  __syncthreads();
#pragma unroll
  for (int k = 0; k < N; ++k) {
    v[k] = lane < warps ? red[k * 32 + lane] : A(0);
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v[k] += __shfl_xor_sync(0xffffffffu, v[k], o);
  }
}

template <typename A>
__device__ __forceinline__ A block_sum(A v, A* red) {
  A a[1] = {v};
  block_sum<A, 1>(a, red);
  return a[0];
}

// ---- statistics -----------------------------------------------------------------------------

// A set of values summarised by its mean, as an F32 pair (x - hi - lo is exact for x near the
// mean, Sterbenz), and its sum of squared deviations M2.
struct Moments {
  float mean_hi, mean_lo;
  double m2;
  __device__ __forceinline__ double mean() const {
    return static_cast<double>(mean_hi) + mean_lo;
  }
};

__device__ __forceinline__ Moments make_moments(double mean, double m2) {
  const float hi = static_cast<float>(mean);
  return Moments{hi, static_cast<float>(mean - hi), m2 > 0 ? m2 : 0.0};
}

// Two passes over the values this thread holds: each(f) calls f(value) for each of them; Acc is
// the per-thread accumulator. `count` is the block's total; `red` holds 64 doubles.
template <typename Acc, class ForEach>
__device__ __forceinline__ Moments block_moments(ForEach each, double count, double* red) {
  Acc s = 0;
  each([&](float v) { s += v; });
  const float m0 = static_cast<float>(block_sum<double>(static_cast<double>(s), red) / count);
  Acc d1 = 0, d2 = 0;
  each([&](float v) {
    const Acc d = static_cast<Acc>(v - m0);
    d1 += d;
    d2 += d * d;
  });
  double t[2] = {static_cast<double>(d1), static_cast<double>(d2)};
  block_sum<double, 2>(t, red);
  // sum (x - m)^2 = sum (x - m0)^2 - n (m - m0)^2 with m = m0 + sum (x - m0) / n
  return make_moments(m0 + t[0] / count, t[1] - t[0] * t[0] / count);
}

// 1 / sqrt(biased variance + eps): eps inside the square root, as the forward op defines it.
__device__ __forceinline__ float group_rstd(double m2, double count, float eps) {
  return 1.0f / sqrtf(static_cast<float>(m2 / count) + eps);
}

// ---- per-channel coefficients ---------------------------------------------------------------

// The affine and AdaGN parameters of a group (each pointer may be NULL): after normalisation
// n = (x - mean) * rstd, the op's z = (n * gamma + beta) * (1 + scale) + shift = n * k + a.
template <typename T>
struct ChannelParams {
  const T* gamma;
  const T* beta;
  const T* scale;  // already offset to sample b: scale[c] is the op's scale[b * ss_stride + c]
  const T* shift;
  // (k, a) of channel c.
  __device__ __forceinline__ float2 at(int64_t c) const {
    const float gm = gamma != nullptr ? to_f32(gamma[c]) : 1.0f;
    const float bt = beta != nullptr ? to_f32(beta[c]) : 0.0f;
    const float sc = scale != nullptr ? 1.0f + to_f32(scale[c]) : 1.0f;
    const float sh = shift != nullptr ? to_f32(shift[c]) : 0.0f;
    return make_float2(gm * sc, fmaf(bt, sc, sh));
  }
};

// Sample b's parameters, pointers unchanged when absent.
template <typename T>
__device__ __forceinline__ ChannelParams<T> channel_params(const void* gamma, const void* beta,
                                                           const void* scale, const void* shift,
                                                           int64_t b, int64_t ss_stride) {
  const T* sc = static_cast<const T*>(scale);
  const T* sh = static_cast<const T*>(shift);
  return ChannelParams<T>{static_cast<const T*>(gamma), static_cast<const T*>(beta),
                          sc != nullptr ? sc + b * ss_stride : nullptr,
                          sh != nullptr ? sh + b * ss_stride : nullptr};
}

// ---- activation -------------------------------------------------------------------------------

// x * sigmoid(x). F16/BF16 outputs round to 8 or 11 bits, far coarser than the approximate exp
// and division; F32 keeps the IEEE forms. Both give -0 for large negative x (exp overflows to
// inf) and x for large positive x.
template <typename T>
__device__ __forceinline__ float silu_f32(float v) {
#ifdef G4J_CUDA_EMULATION
  return v / (1.0f + expf(-v));
#else
  if constexpr (sizeof(T) == 4) {
    return v / (1.0f + expf(-v));
  } else {
    return __fdividef(v, 1.0f + __expf(-v));
  }
#endif
}

// ---- register staging -------------------------------------------------------------------------

// V consecutive elements of storage type T held as loaded: as 32-bit words when they fill whole
// words (16 bytes are one 128-bit access), element by element otherwise.
template <typename T, int V>
struct Pack {
  static constexpr bool kWords = (V * sizeof(T)) % 4 == 0;
  static constexpr int kN = kWords ? static_cast<int>(V * sizeof(T) / 4) : V;
  using Raw = std::conditional_t<kWords, uint32_t, T>;
  Raw w[kN];
};

template <typename T, int V>
__device__ __forceinline__ void load_pack(const T* p, Pack<T, V>& out) {
  if constexpr (V * sizeof(T) == 16) {
    const int4 bits = *reinterpret_cast<const int4*>(p);
    out.w[0] = static_cast<uint32_t>(bits.x), out.w[1] = static_cast<uint32_t>(bits.y);
    out.w[2] = static_cast<uint32_t>(bits.z), out.w[3] = static_cast<uint32_t>(bits.w);
  } else {
    memcpy(&out, p, sizeof(out));
  }
}

// Bit casts that the emulation compiles too.
__device__ __forceinline__ float bits_f32(uint32_t w) {
  float f;
  memcpy(&f, &w, 4);
  return f;
}
__device__ __forceinline__ uint32_t f32_bits(float f) {
  uint32_t w;
  memcpy(&w, &f, 4);
  return w;
}

// Two 16-bit values of one word as F32 (low half first).
template <typename T>
__device__ __forceinline__ float2 word_f32(uint32_t w) {
#ifdef G4J_CUDA_EMULATION
  T h[2];
  memcpy(h, &w, 4);
  return make_float2(to_f32(h[0]), to_f32(h[1]));
#else
  if constexpr (std::is_same<T, __nv_bfloat16>::value) {
    return make_float2(bits_f32(w << 16), bits_f32(w & 0xffff0000u));
  } else {
    __half2 h;
    memcpy(&h, &w, 4);
    return __half22float2(h);
  }
#endif
}

template <typename T>
__device__ __forceinline__ uint32_t f32_word(float lo, float hi) {
#ifdef G4J_CUDA_EMULATION
  const T h[2] = {from_f32<T>(lo), from_f32<T>(hi)};
#else
  const auto h = [&] {
    if constexpr (std::is_same<T, __nv_bfloat16>::value) {
      return __floats2bfloat162_rn(lo, hi);
    } else {
      return __floats2half2_rn(lo, hi);
    }
  }();
#endif
  uint32_t w;
  memcpy(&w, &h, 4);
  return w;
}

template <typename T, int V>
__device__ __forceinline__ void unpack(const Pack<T, V>& pk, float (&f)[V]) {
  if constexpr (Pack<T, V>::kWords && sizeof(T) == 2) {
#pragma unroll
    for (int i = 0; i < V / 2; ++i) {
      const float2 v = word_f32<T>(pk.w[i]);
      f[2 * i] = v.x, f[2 * i + 1] = v.y;
    }
  } else if constexpr (Pack<T, V>::kWords) {
#pragma unroll
    for (int i = 0; i < V; ++i) f[i] = bits_f32(pk.w[i]);
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i) f[i] = to_f32(pk.w[i]);
  }
}

template <typename T, int V>
__device__ __forceinline__ void store_pack(T* p, const float (&f)[V]) {
  if constexpr (V * sizeof(T) == 16) {
    int4 bits;
    if constexpr (sizeof(T) == 2) {
      bits = make_int4(f32_word<T>(f[0], f[1]), f32_word<T>(f[2], f[3]),
                       f32_word<T>(f[4], f[5]), f32_word<T>(f[6], f[7]));
    } else {
      bits = make_int4(f32_bits(f[0]), f32_bits(f[1]), f32_bits(f[2]), f32_bits(f[3]));
    }
    *reinterpret_cast<int4*>(p) = bits;
  } else {
#pragma unroll
    for (int k = 0; k < V; ++k) p[k] = from_f32<T>(f[k]);
  }
}

// Makes the pack's registers opaque to the compiler, so that the F32 values converted from them
// in one pass over staged data are not kept alive (as common subexpressions) for the next pass:
// converting again costs an instruction per value, keeping them would double the registers a
// staged vector occupies and spill.
template <typename T, int V>
__device__ __forceinline__ void opaque(Pack<T, V>& pk) {
#ifndef G4J_CUDA_EMULATION
  if constexpr (Pack<T, V>::kWords) {
#pragma unroll
    for (int i = 0; i < Pack<T, V>::kN; ++i) asm volatile("" : "+r"(pk.w[i]));
  } else if constexpr (sizeof(T) == 2) {
#pragma unroll
    for (int i = 0; i < V; ++i) {
      uint16_t h;
      memcpy(&h, &pk.w[i], 2);
      asm volatile("" : "+h"(h));
      memcpy(&pk.w[i], &h, 2);
    }
  }
#else
  (void)pk;
#endif
}

// ---- launch helpers ---------------------------------------------------------------------------

// Blocks for `work` (batch * groups, times chunks), checked against the grid limit.
inline unsigned group_blocks(int64_t work, const char* op) {
  if (work > 0x7fffffff) {
    fail(G4J_ERR_UNSUPPORTED, "%s: %lld blocks exceed the CUDA grid", op,
         static_cast<long long>(work));
  }
  return static_cast<unsigned>(work);
}

// Whether a group's element count fits the 32-bit index path (with room for the stride step).
inline bool group_fits_32(int64_t channels, int64_t groups, int64_t spatial) {
  return channels / groups * spatial <= static_cast<int64_t>(UINT32_MAX) - 1024;
}

}  // namespace cuda
}  // namespace g4j
