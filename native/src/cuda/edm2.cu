// EDM2's magnitude-preserving pieces: per-channel scaling, clamping and the RMS normalisation
// over one axis. Memory-bound, grid-stride loops with 64-bit indices like elementwise.cu. The
// normalisation gives each thread one column (o, i): consecutive threads read consecutive i, so
// both passes over the `dim` rows are coalesced, and the second pass re-reads x from cache.
#include "common.cuh"

namespace g4j {
namespace cuda {
namespace {

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

template <typename T>
__global__ void normalize_kernel(int64_t outer, int64_t dim, int64_t inner, float eps,
                                 float inv_sqrt_dim, const T* x, T* out) {
  const int64_t columns = outer * inner;
  for (int64_t col = global_thread(); col < columns; col += grid_threads()) {
    const int64_t o = col / inner;
    const int64_t base = o * dim * inner + (col - o * inner);
    float sum = 0.0f;
    for (int64_t d = 0; d < dim; ++d) {
      const float v = to_f32(x[base + d * inner]);
      sum = fmaf(v, v, sum);
    }
    const float factor = 1.0f / (eps + sqrtf(sum) * inv_sqrt_dim);
    for (int64_t d = 0; d < dim; ++d) {
      const int64_t i = base + d * inner;
      out[i] = from_f32<T>(to_f32(x[i]) * factor);
    }
  }
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

template <typename T>
void launch_normalize(cudaStream_t stream, const NormalizeArgs& a) {
  const float inv_sqrt_dim = static_cast<float>(1.0 / sqrt(static_cast<double>(a.dim)));
  normalize_kernel<T><<<grid_for(a.outer * a.inner), kElementwiseThreads, 0, stream>>>(
      a.outer, a.dim, a.inner, a.eps, inv_sqrt_dim, static_cast<const T*>(a.x),
      static_cast<T*>(a.out));
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

}  // namespace cuda
}  // namespace g4j
