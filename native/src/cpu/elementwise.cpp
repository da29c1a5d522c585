// Elementwise ops: fill, axpby, silu, add_channel_bias and the guidance combinations. All are
// memory-bound loops the compiler vectorises; the pool splits them into chunks of kGrain.
#include <algorithm>

#include "../ops.h"
#include "thread_pool.h"
#include "vec.h"

namespace g4j {
namespace cpu {
namespace {

constexpr int64_t kGrain = 32768;

template <class F>
void for_chunks(int64_t n, F&& f) {
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) { f(lo, hi); });
}

}  // namespace

void fill(const FillArgs& a) {
  float* out = static_cast<float*>(a.out);
  const float v = a.value;
  for_chunks(a.n, [&](int64_t lo, int64_t hi) { std::fill(out + lo, out + hi, v); });
}

void axpby(const AxpbyArgs& a) {
  const float* x = static_cast<const float*>(a.x);
  const float* y = static_cast<const float*>(a.y);
  float* out = static_cast<float*>(a.out);
  const float alpha = a.alpha, beta = a.beta;
  for_chunks(a.n, [&](int64_t lo, int64_t hi) {
    if (beta == 0.0f) {  // y is not read (it may be NULL)
      for (int64_t i = lo; i < hi; ++i) out[i] = alpha * x[i];
    } else {
      for (int64_t i = lo; i < hi; ++i) out[i] = alpha * x[i] + beta * y[i];
    }
  });
}

void silu(const UnaryArgs& a) {
  const float* x = static_cast<const float*>(a.x);
  float* out = static_cast<float*>(a.out);
  for_chunks(a.n, [&](int64_t lo, int64_t hi) { silu_row(x + lo, out + lo, hi - lo); });
}

void add_channel_bias(const ChannelBiasArgs& a) {
  const float* x = static_cast<const float*>(a.x);
  const float* bias = static_cast<const float*>(a.bias);
  float* out = static_cast<float*>(a.out);
  const int64_t spatial = a.spatial, channels = a.channels;
  const int64_t grain = std::max<int64_t>(1, kGrain / spatial);
  parallel_for(0, a.batch * channels, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      const float bv = bias[(row / channels) * a.bias_stride + row % channels];
      const float* xr = x + row * spatial;
      float* o = out + row * spatial;
      for (int64_t s = 0; s < spatial; ++s) o[s] = xr[s] + bv;
    }
  });
}

void guided_combine(const GuidedCombineArgs& a) {
  const float* pa = static_cast<const float*>(a.a);
  const float* pb = static_cast<const float*>(a.b);
  float* out = static_cast<float*>(a.out);
  const float scale = a.scale;
  for_chunks(a.n, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = pa[i] + scale * (pb[i] - pa[i]);
  });
}

void guided_step(const GuidedStepArgs& a) {
  const float* x = static_cast<const float*>(a.x);
  const float* pa = static_cast<const float*>(a.a);
  const float* pb = static_cast<const float*>(a.b);
  const float* noise = static_cast<const float*>(a.noise);
  const float* noise_std = static_cast<const float*>(a.noise_std);
  float* out = static_cast<float*>(a.out);
  float* x0_out = static_cast<float*>(a.x0_out);
  const float scale = a.scale, px = a.px, pg = a.pg, clip = a.clip, qx = a.qx, q0 = a.q0,
              qn = a.qn;
  for_chunks(a.n, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const float xi = x[i];
      const float g = pb ? pa[i] + scale * (pb[i] - pa[i]) : pa[i];
      float x0 = px * xi + pg * g;
      if (clip > 0.0f) x0 = x0 < -clip ? -clip : (x0 > clip ? clip : x0);  // NaN passes
      float o = qx * xi + q0 * x0;
      if (noise) o += qn * (noise_std ? noise_std[i] : 1.0f) * noise[i];
      if (x0_out) x0_out[i] = x0;
      out[i] = o;
    }
  });
}

}  // namespace cpu
}  // namespace g4j
