// EDM2's magnitude-preserving pieces: per-channel scaling, clamping, the RMS normalisation over
// one axis, and their fusions with the SiLU that follows them (mp_silu), with the channel
// concatenation they follow (mp_cat), and with the clamp after a sum (mp_sum + clip_act).
// Memory-bound: 16-byte vectors (group_norm.cuh's Pack) wherever the layout allows, each value
// read once and written once.
//
// Normalisation: a block owns a tile of columns (CV vectors of V adjacent values, of one outer
// index) and all `dim` rows of it, staged in registers (P rows per thread); the sums of squares
// meet in shared memory, and each value is scaled (and activated) from its register.
#include <algorithm>
#include <type_traits>

#include "group_norm.cuh"

namespace g4j {
namespace cuda {
namespace {

constexpr int kNormThreads = 256;
constexpr int kMaxNormP = 16;  // rows per thread; larger dims take the per-column kernel

// ---- kernels ----------------------------------------------------------------------------------

template <typename T>
__global__ void scale_channels_kernel(int64_t channels, int64_t spatial, int64_t total,
                                      const T* x, const T* scale, int64_t scale_stride, T* out) {
  for (int64_t i = global_thread(); i < total; i += grid_threads()) {
    const int64_t row = i / spatial;  // b * channels + c
    const int64_t b = row / channels;
    const int64_t c = row - b * channels;
    out[i] = from_f32<T>(to_f32(x[i]) * to_f32(scale[b * scale_stride + c]));
  }
}

template <typename T>
__global__ void clamp_kernel(int64_t n, float lo, float hi, const T* x, T* out) {
  for (int64_t i = global_thread(); i < n; i += grid_threads()) {
    const float v = to_f32(x[i]);
    out[i] = from_f32<T>(v < lo ? lo : (v > hi ? hi : v));  // NaN compares false: passes through
  }
}

struct NormalizeParams {
  int64_t outer, dim, inner;
  float eps, inv_sqrt_dim;
  const void* x;
  void* out;
  void* silu_out;  // or NULL
  int cv_log2;     // CV = 1 << cv_log2 column vectors per block, R = kNormThreads / CV rows
  int64_t tiles;   // column tiles per outer index
};

// Thread (r, cv) = (threadIdx.x >> cv_log2, threadIdx.x & (CV - 1)) holds rows r + k R, k < P,
// of column vector cv: a warp reads 32 / CV rows of CV adjacent vectors each.
template <typename T, int V, int P>
__global__ void __launch_bounds__(kNormThreads) normalize_tile_kernel(NormalizeParams p) {
  __shared__ float part[kNormThreads * V];  // [r][cv][e] sums of squares, reduced over r in place
  const int cv_count = 1 << p.cv_log2;
  const int R = kNormThreads >> p.cv_log2;
  const int cv = threadIdx.x & (cv_count - 1), r = threadIdx.x >> p.cv_log2;
  const int64_t o = blockIdx.x / p.tiles;
  const int64_t col = ((blockIdx.x - o * p.tiles) * cv_count + cv) * V;
  const bool active = col < p.inner;
  const int64_t base = o * p.dim * p.inner + col;
  const T* x = static_cast<const T*>(p.x) + base;
  Pack<T, V> v[P];
#pragma unroll
  for (int k = 0; k < P; ++k) {
    const int64_t d = r + static_cast<int64_t>(k) * R;
    if (active && d < p.dim) load_pack<T, V>(x + d * p.inner, v[k]);
  }
  float acc[V] = {};
#pragma unroll
  for (int k = 0; k < P; ++k) {
    if (active && r + static_cast<int64_t>(k) * R < p.dim) {
      float f[V];
      unpack(v[k], f);
#pragma unroll
      for (int e = 0; e < V; ++e) acc[e] = fmaf(f[e], f[e], acc[e]);
    }
  }
#pragma unroll
  for (int e = 0; e < V; ++e) part[threadIdx.x * V + e] = acc[e];
  // Tree over r: rows r and r + s of the same column vector sit s * CV threads apart.
  for (int s = R / 2; s > 0; s >>= 1) {
    __syncthreads();
    if (r < s)
#pragma unroll
      for (int e = 0; e < V; ++e) part[threadIdx.x * V + e] += part[(threadIdx.x + s * cv_count) * V + e];
  }
  __syncthreads();
  // Row 0 now holds the column sums: part[cv * V + e].
  float f[V];
#pragma unroll
  for (int e = 0; e < V; ++e) f[e] = 1.0f / (p.eps + sqrtf(part[cv * V + e]) * p.inv_sqrt_dim);
  if (!active) return;
#pragma unroll
  for (int k = 0; k < P; ++k) opaque(v[k]);
  T* out = static_cast<T*>(p.out) + base;
  T* act = static_cast<T*>(p.silu_out);
  if (act != nullptr) act += base;
#pragma unroll
  for (int k = 0; k < P; ++k) {
    const int64_t d = r + static_cast<int64_t>(k) * R;
    if (d < p.dim) {
      float y[V];
      unpack(v[k], y);
#pragma unroll
      for (int e = 0; e < V; ++e) y[e] *= f[e];
      store_pack<T, V>(out + d * p.inner, y);
      if (act != nullptr) {
#pragma unroll
        for (int e = 0; e < V; ++e) y[e] = silu_f32<T>(y[e]);
        store_pack<T, V>(act + d * p.inner, y);
      }
    }
  }
}

// Dims beyond kNormThreads * kMaxNormP rows: one thread per column, two passes over its rows
// (consecutive threads read consecutive columns, so both passes are coalesced).
template <typename T>
__global__ void normalize_column_kernel(NormalizeParams p) {
  const T* x = static_cast<const T*>(p.x);
  T* out = static_cast<T*>(p.out);
  T* act = static_cast<T*>(p.silu_out);
  const int64_t columns = p.outer * p.inner;
  for (int64_t col = global_thread(); col < columns; col += grid_threads()) {
    const int64_t o = col / p.inner;
    const int64_t base = o * p.dim * p.inner + (col - o * p.inner);
    float sum = 0.0f;
    for (int64_t d = 0; d < p.dim; ++d) {
      const float v = to_f32(x[base + d * p.inner]);
      sum = fmaf(v, v, sum);
    }
    const float factor = 1.0f / (p.eps + sqrtf(sum) * p.inv_sqrt_dim);
    for (int64_t d = 0; d < p.dim; ++d) {
      const int64_t i = base + d * p.inner;
      const float y = to_f32(x[i]) * factor;
      out[i] = from_f32<T>(y);
      if (act != nullptr) act[i] = from_f32<T>(silu_f32<T>(y));
    }
  }
}

// out = cat(a, b along channels) * scale[b * scale_stride + c], silu_out = silu(that); either
// output may be NULL, b too (cb == 0), scale too (factor 1). A thread takes U vectors of V
// values, each inside one (sample, channel) row since spatial % V == 0. I: the index type.
struct ConcatScaleParams {
  int64_t ca, cb, spatial;
  const void* a; const void* b; const void* scale;
  int64_t scale_stride;
  void* out; void* silu_out;
};

template <typename T, int V, typename I>
__global__ void concat_scale_kernel(ConcatScaleParams p, I total_vecs) {
  const I row_vecs = static_cast<I>(p.spatial / V);
  const I channels = static_cast<I>(p.ca + p.cb);
  const T* a = static_cast<const T*>(p.a);
  const T* bsrc = static_cast<const T*>(p.b);
  const T* scale = static_cast<const T*>(p.scale);
  T* out = static_cast<T*>(p.out);
  T* act = static_cast<T*>(p.silu_out);
  for (I i = global_thread(); i < total_vecs; i += grid_threads()) {
    const I row = i / row_vecs, s = (i - row * row_vecs) * V;  // row = b * channels + c
    const I b = row / channels, c = row - b * channels;
    const T* src = c < static_cast<I>(p.ca)
                       ? a + (static_cast<int64_t>(b) * p.ca + c) * p.spatial + s
                       : bsrc + (static_cast<int64_t>(b) * p.cb + (c - p.ca)) * p.spatial + s;
    Pack<T, V> pk;
    load_pack<T, V>(src, pk);
    float y[V];
    unpack(pk, y);
    if (scale != nullptr) {
      const float f = to_f32(scale[static_cast<int64_t>(b) * p.scale_stride + c]);
#pragma unroll
      for (int e = 0; e < V; ++e) y[e] *= f;
    }
    const int64_t o = static_cast<int64_t>(i) * V;
    if (out != nullptr) store_pack<T, V>(out + o, y);
    if (act != nullptr) {
#pragma unroll
      for (int e = 0; e < V; ++e) y[e] = silu_f32<T>(y[e]);
      store_pack<T, V>(act + o, y);
    }
  }
}

// out = clamp(alpha x + beta y, lo, hi): vectors, then the tail element by element.
template <typename T, int V>
__global__ void axpby_clamp_kernel(int64_t n, float alpha, const T* x, float beta, const T* y,
                                   float lo, float hi, T* out) {
  auto f = [&](float a, float b) {
    const float v = alpha * a + beta * b;
    return v < lo ? lo : (v > hi ? hi : v);  // NaN compares false: passes through
  };
  const int64_t vecs = n / V;
  for (int64_t i = global_thread(); i < vecs; i += grid_threads()) {
    Pack<T, V> px, py;
    load_pack<T, V>(x + i * V, px);
    load_pack<T, V>(y + i * V, py);
    float a[V], b[V];
    unpack(px, a);
    unpack(py, b);
#pragma unroll
    for (int e = 0; e < V; ++e) a[e] = f(a[e], b[e]);
    store_pack<T, V>(out + i * V, a);
  }
  for (int64_t i = vecs * V + global_thread(); i < n; i += grid_threads())
    out[i] = from_f32<T>(f(to_f32(x[i]), to_f32(y[i])));
}

// ---- launchers --------------------------------------------------------------------------------

template <typename T>
void launch_scale_channels(cudaStream_t stream, const ScaleChannelsArgs& a) {
  const int64_t total = a.batch * a.channels * a.spatial;
  scale_channels_kernel<T><<<grid_for(total), kElementwiseThreads, 0, stream>>>(
      a.channels, a.spatial, total, static_cast<const T*>(a.x), static_cast<const T*>(a.scale),
      a.scale_stride, static_cast<T*>(a.out));
  LAUNCH_CHECK();
}

template <typename T>
void launch_clamp(cudaStream_t stream, const ClampArgs& a) {
  clamp_kernel<T><<<grid_for(a.n), kElementwiseThreads, 0, stream>>>(
      a.n, a.lo, a.hi, static_cast<const T*>(a.x), static_cast<T*>(a.out));
  LAUNCH_CHECK();
}

template <typename T, int V>
bool launch_normalize_tiles(cudaStream_t stream, NormalizeParams p) {
  // Up to 32 column vectors per tile (as many as there are), fewer until the rows fit 8 per
  // thread (72 registers: 3 blocks per SM), else 16 (132 registers: 1 block).
  const int64_t vecs = p.inner / V;  // column vectors per outer index
  int cv_log2 = 5;
  while (cv_log2 > 0 && (int64_t{1} << cv_log2) > vecs) --cv_log2;
  const int widest = cv_log2;
  while (cv_log2 > 0 && int64_t{kNormThreads >> cv_log2} * 8 < p.dim) --cv_log2;
  if (int64_t{kNormThreads >> cv_log2} * 8 < p.dim) {
    cv_log2 = widest;
    while (cv_log2 > 0 && int64_t{kNormThreads >> cv_log2} * kMaxNormP < p.dim) --cv_log2;
  }
  const int64_t rows = kNormThreads >> cv_log2;
  const int64_t P = (p.dim + rows - 1) / rows;
  if (P > kMaxNormP) return false;
  p.cv_log2 = cv_log2;
  p.tiles = (vecs + (int64_t{1} << cv_log2) - 1) >> cv_log2;
  const unsigned blocks = group_blocks(p.outer * p.tiles, "normalize");
  if (P <= 1) {
    normalize_tile_kernel<T, V, 1><<<blocks, kNormThreads, 0, stream>>>(p);
  } else if (P <= 2) {
    normalize_tile_kernel<T, V, 2><<<blocks, kNormThreads, 0, stream>>>(p);
  } else if (P <= 4) {
    normalize_tile_kernel<T, V, 4><<<blocks, kNormThreads, 0, stream>>>(p);
  } else if (P <= 8) {
    normalize_tile_kernel<T, V, 8><<<blocks, kNormThreads, 0, stream>>>(p);
  } else {
    normalize_tile_kernel<T, V, 16><<<blocks, kNormThreads, 0, stream>>>(p);
  }
  LAUNCH_CHECK();
  return true;
}

template <typename T>
void launch_normalize(cudaStream_t stream, const NormalizeArgs& a) {
  constexpr int V = 16 / sizeof(T);
  const NormalizeParams p{a.outer, a.dim, a.inner, a.eps,
                          static_cast<float>(1.0 / sqrt(static_cast<double>(a.dim))),
                          a.x, a.out, a.silu_out, 0, 0};
  const bool vec = a.inner % V == 0 && aligned16(a.x) && aligned16(a.out) &&
                   (a.silu_out == nullptr || aligned16(a.silu_out));
  if (vec ? launch_normalize_tiles<T, V>(stream, p) : launch_normalize_tiles<T, 1>(stream, p)) {
    return;
  }
  normalize_column_kernel<T><<<grid_for(a.outer * a.inner), kElementwiseThreads, 0, stream>>>(p);
  LAUNCH_CHECK();
}

template <typename T>
void launch_concat_scale(cudaStream_t stream, const ConcatScaleArgs& a) {
  constexpr int V = 16 / sizeof(T);
  const ConcatScaleParams p{a.channels_a, a.channels_b, a.spatial, a.a, a.b, a.scale,
                            a.scale_stride, a.out, a.silu_out};
  const bool vec = a.spatial % V == 0 && aligned16(a.a) && aligned16(a.b) &&
                   aligned16(a.out) && aligned16(a.silu_out);
  const int64_t total = a.batch * (a.channels_a + a.channels_b) * a.spatial;
  auto go = [&](auto vc) {
    constexpr int W = decltype(vc)::value;
    const int64_t vecs = total / W;
    if (vecs <= static_cast<int64_t>(UINT32_MAX) - 2 * int64_t{kElementwiseThreads} * 65536) {
      concat_scale_kernel<T, W, uint32_t><<<grid_for(vecs), kElementwiseThreads, 0, stream>>>(
          p, static_cast<uint32_t>(vecs));
    } else {
      concat_scale_kernel<T, W, int64_t><<<grid_for(vecs), kElementwiseThreads, 0, stream>>>(
          p, vecs);
    }
    LAUNCH_CHECK();
  };
  if (vec) {
    go(std::integral_constant<int, V>{});
  } else {
    go(std::integral_constant<int, 1>{});
  }
}

template <typename T>
void launch_axpby_clamp(cudaStream_t stream, const AxpbyClampArgs& a) {
  constexpr int V = 16 / sizeof(T);
  const T* x = static_cast<const T*>(a.x);
  const T* y = static_cast<const T*>(a.y);
  T* out = static_cast<T*>(a.out);
  if (aligned16(x) && aligned16(y) && aligned16(out)) {
    axpby_clamp_kernel<T, V><<<grid_for((a.n + V - 1) / V), kElementwiseThreads, 0, stream>>>(
        a.n, a.alpha, x, a.beta, y, a.lo, a.hi, out);
  } else {
    axpby_clamp_kernel<T, 1><<<grid_for(a.n), kElementwiseThreads, 0, stream>>>(
        a.n, a.alpha, x, a.beta, y, a.lo, a.hi, out);
  }
  LAUNCH_CHECK();
}

}  // namespace

// ---- op entries -------------------------------------------------------------------------------

void scale_channels(Stream s, const ScaleChannelsArgs& a) {
  cudaStream_t stream = as_cuda(s);
  if (a.batch <= 0 || a.channels <= 0 || a.spatial <= 0) return;
  dispatch_dtype(a.dtype, [&](auto tag) {
    launch_scale_channels<typename decltype(tag)::type>(stream, a);
  });
}

void clamp(Stream s, const ClampArgs& a) {
  cudaStream_t stream = as_cuda(s);
  if (a.n <= 0) return;
  dispatch_dtype(a.dtype, [&](auto tag) { launch_clamp<typename decltype(tag)::type>(stream, a); });
}

void normalize(Stream s, const NormalizeArgs& a) {
  cudaStream_t stream = as_cuda(s);
  if (a.outer <= 0 || a.dim <= 0 || a.inner <= 0) return;
  dispatch_dtype(a.dtype, [&](auto tag) {
    launch_normalize<typename decltype(tag)::type>(stream, a);
  });
}

void concat_scale(Stream s, const ConcatScaleArgs& a) {
  cudaStream_t stream = as_cuda(s);
  if (a.batch <= 0 || a.channels_a + a.channels_b <= 0 || a.spatial <= 0) return;
  dispatch_dtype(a.dtype, [&](auto tag) {
    launch_concat_scale<typename decltype(tag)::type>(stream, a);
  });
}

void axpby_clamp(Stream s, const AxpbyClampArgs& a) {
  cudaStream_t stream = as_cuda(s);
  if (a.n <= 0) return;
  dispatch_dtype(a.dtype, [&](auto tag) {
    launch_axpby_clamp<typename decltype(tag)::type>(stream, a);
  });
}

}  // namespace cuda
}  // namespace g4j
