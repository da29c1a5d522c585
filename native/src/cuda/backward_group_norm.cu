// The input gradient of GroupNorm (+ affine, AdaGN, SiLU). With n the normalised input and g the
// gradient reaching n, dx = rstd * (g - mean(g) - n * mean(g * n)): one block per (sample,
// group) recomputes the statistics with the forward's two-pass code (group_norm.cuh's
// block_moments, streaming over the group instead of staging it), accumulates the two means
// while forming g, then forms g again and writes dx (recomputing is cheaper than a scratch
// buffer: dx must not alias dy, and dy may be read-only). Classifier gradients only: not tuned.
#include "group_norm.cuh"

namespace g4j {
namespace cuda {
namespace {

struct GroupNormBackwardParams {
  int64_t channels, spatial, groups, ss_stride;
  float eps;
  const void* x; const void* gamma; const void* beta; const void* scale; const void* shift;
  int silu;
  const void* dy;
  void* dx;
};

template <typename T, typename I>
__global__ void __launch_bounds__(kGroupThreads)
    group_norm_backward_kernel(GroupNormBackwardParams p) {
  __shared__ double red[64];
  const int64_t b = blockIdx.x / p.groups;
  const int64_t g = blockIdx.x - b * p.groups;
  const int64_t cpg = p.channels / p.groups;
  const I count = static_cast<I>(cpg * p.spatial);
  const I spatial = static_cast<I>(p.spatial);
  const int64_t base = (b * p.channels + g * cpg) * p.spatial;
  const T* x = static_cast<const T*>(p.x) + base;
  const T* dy = static_cast<const T*>(p.dy) + base;
  T* dx = static_cast<T*>(p.dx) + base;
  auto each = [&](auto f) {
    for (I i = threadIdx.x; i < count; i += kGroupThreads) f(to_f32(x[i]));
  };
  const Moments mo = block_moments<double>(each, static_cast<double>(count), red);
  const float mean_hi = mo.mean_hi, mean_lo = mo.mean_lo;
  const float rstd = group_rstd(mo.m2, static_cast<double>(count), p.eps);

  const T* gamma = static_cast<const T*>(p.gamma);
  const T* beta = static_cast<const T*>(p.beta);
  const T* scale = static_cast<const T*>(p.scale);
  const T* shift = static_cast<const T*>(p.shift);
  const int64_t c0 = g * cpg;                // first channel of the group
  const int64_t ss0 = b * p.ss_stride + c0;  // its AdaGN scale/shift index

  // n and the gradient reaching it for element i of the group.
  auto grad = [&](I i, float* n_out) {
    const I cl = i / spatial;
    const float n = ((to_f32(x[i]) - mean_hi) - mean_lo) * rstd;
    const float gm = gamma != nullptr ? to_f32(gamma[c0 + cl]) : 1.0f;
    const float sc = scale != nullptr ? 1.0f + to_f32(scale[ss0 + cl]) : 1.0f;
    float dz = to_f32(dy[i]);
    if (p.silu) {
      const float bt = beta != nullptr ? to_f32(beta[c0 + cl]) : 0.0f;
      const float sh = shift != nullptr ? to_f32(shift[ss0 + cl]) : 0.0f;
      const float z = (n * gm + bt) * sc + sh;
      const float sig = 1.0f / (1.0f + expf(-z));
      dz *= sig * (1.0f + z * (1.0f - sig));
    }
    *n_out = n;
    return dz * sc * gm;
  };

  double sum_g = 0.0, sum_gn = 0.0;
  for (I i = threadIdx.x; i < count; i += kGroupThreads) {
    float n;
    const float gv = grad(i, &n);
    sum_g += gv;
    sum_gn += static_cast<double>(gv) * n;
  }
  double sums[2] = {sum_g, sum_gn};
  block_sum<double, 2>(sums, red);
  const float mean_g = static_cast<float>(sums[0] / static_cast<double>(count));
  const float mean_gn = static_cast<float>(sums[1] / static_cast<double>(count));

  for (I i = threadIdx.x; i < count; i += kGroupThreads) {
    float n;
    const float gv = grad(i, &n);
    dx[i] = from_f32<T>(rstd * ((gv - mean_g) - n * mean_gn));
  }
}

template <typename T>
void launch_group_norm_backward(cudaStream_t stream, const GroupNormBackwardArgs& a) {
  const unsigned blocks = group_blocks(a.batch * a.groups, "group_norm_backward");
  const GroupNormBackwardParams p{a.channels, a.spatial, a.groups, a.ss_stride, a.eps, a.x,
                                  a.gamma, a.beta, a.scale, a.shift, a.silu, a.dy, a.dx};
  if (group_fits_32(a.channels, a.groups, a.spatial)) {
    group_norm_backward_kernel<T, uint32_t><<<blocks, kGroupThreads, 0, stream>>>(p);
  } else {
    group_norm_backward_kernel<T, int64_t><<<blocks, kGroupThreads, 0, stream>>>(p);
  }
  LAUNCH_CHECK();
}

}  // namespace

void group_norm_backward(Stream s, const GroupNormBackwardArgs& a) {
  if (a.batch <= 0 || a.channels <= 0 || a.spatial <= 0) return;
  dispatch_dtype(a.dtype, [&](auto tag) {
    launch_group_norm_backward<typename decltype(tag)::type>(as_cuda(s), a);
  });
}

}  // namespace cuda
}  // namespace g4j
