// EDM2's magnitude-preserving pieces: per-channel scaling, clamping, the RMS normalisation
// over one axis (pixel norm, per-head q/k/v norm) and their fusions with mp_silu, mp_cat and
// the clamp after mp_sum. All memory-bound; the normalisation keeps one row of sums per task so
// both of its passes read x contiguously.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../ops.h"
#include "thread_pool.h"
#include "vec.h"

namespace g4j {
namespace cpu {
namespace {
constexpr int64_t kGrain = 32768;
}  // namespace

void scale_channels(const ScaleChannelsArgs& a) {
  const float* x = static_cast<const float*>(a.x);
  const float* scale = static_cast<const float*>(a.scale);
  float* out = static_cast<float*>(a.out);
  const int64_t spatial = a.spatial, channels = a.channels;
  const int64_t grain = std::max<int64_t>(1, kGrain / spatial);
  parallel_for(0, a.batch * channels, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      const float f = scale[(row / channels) * a.scale_stride + row % channels];
      const float* xr = x + row * spatial;
      float* o = out + row * spatial;
      for (int64_t s = 0; s < spatial; ++s) o[s] = xr[s] * f;
    }
  });
}

void clamp(const ClampArgs& a) {
  const float* x = static_cast<const float*>(a.x);
  float* out = static_cast<float*>(a.out);
  const float lo_v = a.lo, hi_v = a.hi;
  parallel_for(0, a.n, kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const float v = x[i];
      out[i] = v < lo_v ? lo_v : (v > hi_v ? hi_v : v);  // NaN compares false: passes through
    }
  });
}

void normalize(const NormalizeArgs& a) {
  const float* x = static_cast<const float*>(a.x);
  float* out = static_cast<float*>(a.out);
  float* act = static_cast<float*>(a.silu_out);
  const int64_t dim = a.dim, inner = a.inner;
  // A task is a block of `width` columns of one outer index: dim rows of `width` floats each.
  const int64_t width = std::min<int64_t>(inner, 1024);
  const int64_t blocks = (inner + width - 1) / width;
  const double inv_sqrt_dim = 1.0 / std::sqrt(double(dim));
  const double eps = a.eps;
  const int64_t grain = std::max<int64_t>(1, kGrain / (dim * width));
  parallel_for(0, a.outer * blocks, grain, [&](int64_t lo, int64_t hi) {
    std::vector<double> sum(width);
    std::vector<float> factor(width);
    for (int64_t task = lo; task < hi; ++task) {
      const int64_t o = task / blocks;
      const int64_t i0 = (task % blocks) * width;
      const int64_t w = std::min(width, inner - i0);
      const float* xo = x + o * dim * inner + i0;
      float* oo = out + o * dim * inner + i0;
      std::fill(sum.begin(), sum.begin() + w, 0.0);
      for (int64_t d = 0; d < dim; ++d) {
        const float* row = xo + d * inner;
        for (int64_t i = 0; i < w; ++i) sum[i] += double(row[i]) * double(row[i]);
      }
      for (int64_t i = 0; i < w; ++i) {
        factor[i] = float(1.0 / (eps + std::sqrt(sum[i]) * inv_sqrt_dim));
      }
      for (int64_t d = 0; d < dim; ++d) {
        const float* row = xo + d * inner;
        float* orow = oo + d * inner;
        if (act != nullptr) {
          float* arow = act + o * dim * inner + i0 + d * inner;
          for (int64_t i = 0; i < w; ++i) {
            const float y = row[i] * factor[i];
            orow[i] = y;
            arow[i] = silu1(y);
          }
        } else {
          for (int64_t i = 0; i < w; ++i) orow[i] = row[i] * factor[i];
        }
      }
    }
  });
}

void concat_scale(const ConcatScaleArgs& a) {
  const float* xa = static_cast<const float*>(a.a);
  const float* xb = static_cast<const float*>(a.b);
  const float* scale = static_cast<const float*>(a.scale);
  float* out = static_cast<float*>(a.out);
  float* act = static_cast<float*>(a.silu_out);
  const int64_t channels = a.channels_a + a.channels_b, spatial = a.spatial;
  const int64_t grain = std::max<int64_t>(1, kGrain / spatial);
  parallel_for(0, a.batch * channels, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      const int64_t b = row / channels, c = row % channels;
      const float* src = c < a.channels_a ? xa + (b * a.channels_a + c) * spatial
                                          : xb + (b * a.channels_b + c - a.channels_a) * spatial;
      const float f = scale != nullptr ? scale[b * a.scale_stride + c] : 1.0f;
      float* o = out != nullptr ? out + row * spatial : nullptr;
      float* s = act != nullptr ? act + row * spatial : nullptr;
      for (int64_t i = 0; i < spatial; ++i) {
        const float y = src[i] * f;
        if (o != nullptr) o[i] = y;
        if (s != nullptr) s[i] = silu1(y);
      }
    }
  });
}

void axpby_clamp(const AxpbyClampArgs& a) {
  const float* x = static_cast<const float*>(a.x);
  const float* y = static_cast<const float*>(a.y);
  float* out = static_cast<float*>(a.out);
  const float alpha = a.alpha, beta = a.beta, lo_v = a.lo, hi_v = a.hi;
  parallel_for(0, a.n, kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const float v = alpha * x[i] + beta * y[i];
      out[i] = v < lo_v ? lo_v : (v > hi_v ? hi_v : v);  // NaN compares false: passes through
    }
  });
}

}  // namespace cpu
}  // namespace g4j
