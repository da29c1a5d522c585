// Float64 reference of every op in guidance4j.h, written from the header's comments alone (no
// library header other than the public one, no shared code with the backends), so that a
// disagreement with a backend is a disagreement with the spec.
//
// Besides the value, each op returns a per-element magnitude `mag`: the sum of the absolute values
// of the terms that make up the result (|a| + |s|(|a| + |b|) for a + s(b - a), sum |a||b| for a
// dot product, and the analogous bound for normalisation, softmax and the transcendental
// functions). Rounding errors of a float32 computation scale with it rather than with |value|, so
// the checker can tolerate `rtol * mag` without hiding bugs in cancelling sums.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "guidance4j.h"

namespace ref {

using Vec = std::vector<double>;

struct Result {
  Vec value;
  Vec mag;
  void resize(size_t n) {
    value.assign(n, 0.0);
    mag.assign(n, 0.0);
  }
};

inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// ---- elementwise ----------------------------------------------------------------------------

inline Result axpby(double alpha, const Vec& x, double beta, const Vec* y) {
  Result r;
  r.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    double yi = y ? (*y)[i] : 0.0;
    r.value[i] = alpha * x[i] + beta * yi;
    r.mag[i] = std::fabs(alpha * x[i]) + std::fabs(beta * yi);
  }
  return r;
}

inline Result silu(const Vec& x) {
  Result r;
  r.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    r.value[i] = x[i] * sigmoid(x[i]);
    r.mag[i] = std::fabs(r.value[i]);
  }
  return r;
}

inline Result add_channel_bias(int64_t batch, int64_t channels, int64_t spatial, const Vec& x,
                               const Vec& bias, int64_t bias_stride) {
  Result r;
  r.resize(x.size());
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t s = 0; s < spatial; ++s) {
        size_t i = (b * channels + c) * spatial + s;
        double bi = bias[b * bias_stride + c];
        r.value[i] = x[i] + bi;
        r.mag[i] = std::fabs(x[i]) + std::fabs(bi);
      }
  return r;
}

// ---- guidance -------------------------------------------------------------------------------

inline Result guided_combine(const Vec& a, const Vec& b, double scale) {
  Result r;
  r.resize(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    r.value[i] = a[i] + scale * (b[i] - a[i]);
    r.mag[i] = std::fabs(a[i]) + std::fabs(scale) * (std::fabs(a[i]) + std::fabs(b[i]));
  }
  return r;
}

struct StepResult {
  Result out;
  Result x0;
};

inline StepResult guided_step(const Vec& x, const Vec& a, const Vec* b, double scale, double px,
                              double pg, double clip, double qx, double q0, double qn,
                              const Vec* noise, const Vec* noise_std) {
  StepResult r;
  r.out.resize(x.size());
  r.x0.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    double g = a[i], g_mag = std::fabs(a[i]);
    if (b) {
      g = a[i] + scale * ((*b)[i] - a[i]);
      g_mag = std::fabs(a[i]) + std::fabs(scale) * (std::fabs(a[i]) + std::fabs((*b)[i]));
    }
    double x0 = px * x[i] + pg * g;
    // Clamping is 1-Lipschitz, so the unclamped magnitude still bounds the rounding error.
    double x0_mag = std::fabs(px * x[i]) + std::fabs(pg) * g_mag;
    if (clip > 0) x0 = std::min(std::max(x0, -clip), clip);
    double nz = 0.0;
    if (noise) nz = qn * (noise_std ? (*noise_std)[i] : 1.0) * (*noise)[i];
    r.x0.value[i] = x0;
    r.x0.mag[i] = x0_mag;
    r.out.value[i] = qx * x[i] + q0 * x0 + nz;
    r.out.mag[i] = std::fabs(qx * x[i]) + std::fabs(q0) * x0_mag + std::fabs(nz);
  }
  return r;
}

// ---- normalisation --------------------------------------------------------------------------

// gamma, beta, scale, shift: nullptr for "absent".
inline Result group_norm(int64_t batch, int64_t channels, int64_t spatial, int64_t groups,
                         double eps, const Vec& x, const Vec* gamma, const Vec* beta,
                         const Vec* scale, const Vec* shift, int64_t ss_stride, bool silu) {
  Result r;
  r.resize(x.size());
  const int64_t cpg = channels / groups;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t g = 0; g < groups; ++g) {
      const size_t base = (b * channels + g * cpg) * spatial;
      const int64_t count = cpg * spatial;
      double sum = 0.0;
      for (int64_t i = 0; i < count; ++i) sum += x[base + i];
      const double mean = sum / count;
      double sq = 0.0;
      for (int64_t i = 0; i < count; ++i) sq += (x[base + i] - mean) * (x[base + i] - mean);
      const double var = sq / count;  // biased
      const double inv = 1.0 / std::sqrt(var + eps);
      // A float32 one-pass variance loses (mean^2 + var) * ulp, a relative error of inv of
      // (mean^2 + var) / (var + eps) ulps; centring loses (|x| + |mean|) ulps.
      const double inv_cond = (mean * mean + var) / (var + eps);
      for (int64_t cl = 0; cl < cpg; ++cl) {
        const int64_t c = g * cpg + cl;
        const double ga = gamma ? (*gamma)[c] : 1.0;
        const double be = beta ? (*beta)[c] : 0.0;
        const double sc = scale ? (*scale)[b * ss_stride + c] : 0.0;
        const double sh = shift ? (*shift)[b * ss_stride + c] : 0.0;
        for (int64_t s = 0; s < spatial; ++s) {
          const size_t i = base + cl * spatial + s;
          const double n = (x[i] - mean) * inv;
          const double n_mag = (std::fabs(x[i]) + std::fabs(mean)) * inv + std::fabs(n) * inv_cond;
          double h = n * ga + be;
          double h_mag = n_mag * std::fabs(ga) + std::fabs(be);
          h = h * (1.0 + sc) + sh;
          h_mag = h_mag * (1.0 + std::fabs(sc)) + std::fabs(sh);
          // SiLU's derivative lies in [-0.1, 1.1]: it does not amplify the error of h.
          if (silu) h = h * sigmoid(h), h_mag *= 1.1;
          r.value[i] = h;
          r.mag[i] = h_mag;
        }
      }
    }
  return r;
}

// ---- attention ------------------------------------------------------------------------------

// Channel of q (which = 0), k (1) or v (2), head h, channel c; from the g4j_qkv_layout comments:
//  LEGACY    (B, H*3*D, T): per head [q | k | v]
//  NEW_ORDER (B, 3*H*D, T): [q of all heads | k | v]
//  EDM2      (B, H*D*3, T) viewed as (B, H, D, 3, T)
inline int64_t qkv_row(int layout, int64_t which, int64_t h, int64_t c, int64_t heads,
                       int64_t head_dim) {
  if (layout == G4J_QKV_LEGACY) return (h * 3 + which) * head_dim + c;
  if (layout == G4J_QKV_NEW_ORDER) return (which * heads + h) * head_dim + c;
  return ((h * head_dim) + c) * 3 + which;
}

// Output column t of sample b, head h: out[b, h*D + c, t] for every c, written through `set`.
// Magnitude: an error dl in the logits moves the output by at most 2 max|dl| sum_s p_s |v_s|,
// and a float32 logit errs by ulps of L = |scale| sum_c |q_c||k_c|.
template <class Set>
void attention_column(int64_t b, int64_t h, int64_t t, int64_t heads, int64_t head_dim,
                      int64_t tokens, int layout, double scale, const Vec& qkv, Set set) {
  const int64_t width = 3 * heads * head_dim;
  auto at = [&](int64_t which, int64_t c, int64_t s) {
    return qkv[(b * width + qkv_row(layout, which, h, c, heads, head_dim)) * tokens + s];
  };
  Vec logit(tokens);
  double lmax = -INFINITY, lmag_max = 0.0;
  for (int64_t s = 0; s < tokens; ++s) {
    double dot = 0.0, dot_mag = 0.0;
    for (int64_t c = 0; c < head_dim; ++c) {
      dot += at(0, c, t) * at(1, c, s);
      dot_mag += std::fabs(at(0, c, t) * at(1, c, s));
    }
    logit[s] = scale * dot;
    lmax = std::max(lmax, logit[s]);
    lmag_max = std::max(lmag_max, std::fabs(scale) * dot_mag);
  }
  double denom = 0.0;
  for (int64_t s = 0; s < tokens; ++s) denom += std::exp(logit[s] - lmax);
  for (int64_t c = 0; c < head_dim; ++c) {
    double acc = 0.0, acc_mag = 0.0;
    for (int64_t s = 0; s < tokens; ++s) {
      const double p = std::exp(logit[s] - lmax) / denom;
      acc += p * at(2, c, s);
      acc_mag += p * std::fabs(at(2, c, s));
    }
    set((b * heads * head_dim + h * head_dim + c) * tokens + t, acc,
        acc_mag * (1.0 + 2.0 * lmag_max));
  }
}

// ---- convolution and matrix products --------------------------------------------------------

struct Conv2dShape {
  int64_t batch, in_channels, height, width, out_channels, kernel, stride, padding;
  int64_t out_height() const { return (height + 2 * padding - kernel) / stride + 1; }
  int64_t out_width() const { return (width + 2 * padding - kernel) / stride + 1; }
  int64_t out_size() const { return batch * out_channels * out_height() * out_width(); }
};

// Element `index` of out (B, Cout, Ho, Wo), torch conv2d with zero padding.
inline void conv2d_at(const Conv2dShape& s, const Vec& x, const Vec& w, const Vec* bias,
                      const Vec* residual, int64_t index, double* value, double* mag) {
  const int64_t ho = s.out_height(), wo = s.out_width();
  const int64_t ox = index % wo, oy = (index / wo) % ho;
  const int64_t co = (index / (wo * ho)) % s.out_channels, b = index / (wo * ho * s.out_channels);
  double acc = bias ? (*bias)[co] : 0.0;
  double acc_mag = std::fabs(acc);
  for (int64_t ci = 0; ci < s.in_channels; ++ci)
    for (int64_t ky = 0; ky < s.kernel; ++ky)
      for (int64_t kx = 0; kx < s.kernel; ++kx) {
        const int64_t iy = oy * s.stride - s.padding + ky, ix = ox * s.stride - s.padding + kx;
        if (iy < 0 || iy >= s.height || ix < 0 || ix >= s.width) continue;
        const double term = x[((b * s.in_channels + ci) * s.height + iy) * s.width + ix] *
                            w[((co * s.in_channels + ci) * s.kernel + ky) * s.kernel + kx];
        acc += term;
        acc_mag += std::fabs(term);
      }
  if (residual) acc += (*residual)[index], acc_mag += std::fabs((*residual)[index]);
  *value = acc;
  *mag = acc_mag;
}

struct GemmShape {
  bool trans_a, trans_b;
  int64_t m, n, k, lda, stride_a, ldb, stride_b, ldc, stride_c, batch;
  double alpha, beta;
};

// Element (batch i, row r, column col) of C; c holds C before the call.
inline void gemm_at(const GemmShape& s, const Vec& a, const Vec& b, const Vec& c, int64_t i,
                    int64_t row, int64_t col, double* value, double* mag) {
  double acc = 0.0, acc_mag = 0.0;
  for (int64_t p = 0; p < s.k; ++p) {
    // op(A)[row, p] and op(B)[p, col], A stored k x m when transposed.
    const double av = s.trans_a ? a[i * s.stride_a + p * s.lda + row]
                                : a[i * s.stride_a + row * s.lda + p];
    const double bv = s.trans_b ? b[i * s.stride_b + col * s.ldb + p]
                                : b[i * s.stride_b + p * s.ldb + col];
    acc += av * bv;
    acc_mag += std::fabs(av * bv);
  }
  *value = s.alpha * acc;
  *mag = std::fabs(s.alpha) * acc_mag;
  if (s.beta != 0.0) {
    const double ci = c[i * s.stride_c + row * s.ldc + col];
    *value += s.beta * ci;
    *mag += std::fabs(s.beta * ci);
  }
}

// Element (row, o) of linear's out (rows, out_features).
inline void linear_at(int64_t in_features, const Vec& x, const Vec& w, const Vec* bias,
                      int64_t row, int64_t o, double* value, double* mag) {
  double acc = bias ? (*bias)[o] : 0.0;
  double acc_mag = std::fabs(acc);
  for (int64_t p = 0; p < in_features; ++p) {
    const double term = x[row * in_features + p] * w[o * in_features + p];
    acc += term;
    acc_mag += std::fabs(term);
  }
  *value = acc;
  *mag = acc_mag;
}

// ---- EDM2's magnitude-preserving pieces ----------------------------------------------------

inline Result scale_channels(int64_t batch, int64_t channels, int64_t spatial, const Vec& x,
                             const Vec& scale, int64_t scale_stride) {
  Result r;
  r.resize(x.size());
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t s = 0; s < spatial; ++s) {
        const size_t i = (b * channels + c) * spatial + s;
        r.value[i] = x[i] * scale[b * scale_stride + c];
        r.mag[i] = std::fabs(r.value[i]);
      }
  return r;
}

inline Result clamp(double lo, double hi, const Vec& x) {
  Result r;
  r.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    r.value[i] = std::min(std::max(x[i], lo), hi);
    r.mag[i] = std::fabs(r.value[i]);
  }
  return r;
}

// Magnitude: every output of a column shares one denominator, which a float sum of squares gets
// to a few ulps, so the error is relative to |out| itself.
inline Result normalize(int64_t outer, int64_t dim, int64_t inner, double eps, const Vec& x) {
  Result r;
  r.resize(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double sum = 0.0;
      for (int64_t d = 0; d < dim; ++d) {
        const double v = x[(o * dim + d) * inner + i];
        sum += v * v;
      }
      const double denom = eps + std::sqrt(sum) / std::sqrt(double(dim));
      for (int64_t d = 0; d < dim; ++d) {
        const size_t k = (o * dim + d) * inner + i;
        r.value[k] = x[k] / denom;
        r.mag[k] = std::fabs(r.value[k]);
      }
    }
  return r;
}

// normalize(x) and its SiLU: SiLU's derivative lies in [-0.1, 1.1], so the second output errs by
// at most 1.1 times the first's error plus its own rounding.
inline std::vector<Result> normalize_silu(int64_t outer, int64_t dim, int64_t inner, double eps,
                                          const Vec& x) {
  Result n = normalize(outer, dim, inner, eps, x), s;
  s.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    s.value[i] = n.value[i] * sigmoid(n.value[i]);
    s.mag[i] = 1.1 * n.mag[i] + std::fabs(s.value[i]);
  }
  return {n, s};
}

// y = cat(a, b) * scale per channel, and silu(y); b may be empty (channels_b == 0), scale NULL.
inline std::vector<Result> concat_scale(int64_t batch, int64_t ca, int64_t cb, int64_t spatial,
                                        const Vec& a, const Vec* b, const Vec* scale,
                                        int64_t scale_stride) {
  const int64_t channels = ca + cb;
  Result y, s;
  y.resize(batch * channels * spatial);
  s.resize(batch * channels * spatial);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < spatial; ++i) {
        const double x = c < ca ? a[(n * ca + c) * spatial + i] : (*b)[(n * cb + c - ca) * spatial + i];
        const double f = scale ? (*scale)[n * scale_stride + c] : 1.0;
        const size_t k = (n * channels + c) * spatial + i;
        y.value[k] = x * f;
        y.mag[k] = std::fabs(x * f);
        s.value[k] = y.value[k] * sigmoid(y.value[k]);
        s.mag[k] = 1.1 * y.mag[k] + std::fabs(s.value[k]);
      }
  return {y, s};
}

// g4j_embed_linear; table NULL for none, an invalid index gives NaN (the op must write NaN).
inline Result embed_linear(int64_t rows, int64_t in, int64_t outf, const Vec& x, const Vec& w,
                           const Vec* bias, const Vec* table, const Vec* index,
                           int64_t table_rows, int64_t index_stride, int64_t feature_stride,
                           bool silu) {
  Result r;
  r.resize(rows * outf);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t o = 0; o < outf; ++o) {
      double v = 0, mag = 0;
      for (int64_t k = 0; k < in; ++k) {
        v += x[i * in + k] * w[o * in + k];
        mag += std::fabs(x[i * in + k] * w[o * in + k]);
      }
      if (bias) v += (*bias)[o], mag += std::fabs((*bias)[o]);
      if (table) {
        const double idx = (*index)[i];
        if (idx >= 0 && idx < double(table_rows) && idx == std::floor(idx)) {
          const double t = (*table)[int64_t(idx) * index_stride + o * feature_stride];
          v += t, mag += std::fabs(t);
        } else {
          v = NAN;
        }
      }
      if (silu) v = v * sigmoid(v), mag *= 1.1;
      r.value[i * outf + o] = v;
      r.mag[i * outf + o] = mag;
    }
  return r;
}

// Clamping is 1-Lipschitz: the unclamped magnitude bounds the error.
inline Result axpby_clamp(double alpha, const Vec& x, double beta, const Vec& y, double lo,
                          double hi) {
  Result r = axpby(alpha, x, beta, &y);
  for (size_t i = 0; i < x.size(); ++i) r.value[i] = std::min(std::max(r.value[i], lo), hi);
  return r;
}

// ---- resampling and embeddings --------------------------------------------------------------

inline Result upsample_nearest2x(int64_t planes, int64_t height, int64_t width, const Vec& x) {
  Result r;
  r.resize(planes * 4 * height * width);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t y = 0; y < 2 * height; ++y)
      for (int64_t xo = 0; xo < 2 * width; ++xo) {
        const size_t o = (p * 2 * height + y) * 2 * width + xo;
        r.value[o] = x[(p * height + y / 2) * width + xo / 2];
        r.mag[o] = std::fabs(r.value[o]);
      }
  return r;
}

inline Result avg_pool2x2(int64_t planes, int64_t height, int64_t width, const Vec& x) {
  const int64_t ho = height / 2, wo = width / 2;
  Result r;
  r.resize(planes * ho * wo);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t y = 0; y < ho; ++y)
      for (int64_t xo = 0; xo < wo; ++xo) {
        double sum = 0.0, sum_mag = 0.0;
        for (int64_t dy = 0; dy < 2; ++dy)
          for (int64_t dx = 0; dx < 2; ++dx) {
            const double v = x[(p * height + 2 * y + dy) * width + 2 * xo + dx];
            sum += v;
            sum_mag += std::fabs(v);
          }
        r.value[(p * ho + y) * wo + xo] = sum / 4.0;
        r.mag[(p * ho + y) * wo + xo] = sum_mag / 4.0;
      }
  return r;
}

// Magnitude: cos and sin are 1-Lipschitz, and a float32 argument t * f errs by ulps of |t f|.
inline Result timestep_embedding(int64_t n, int64_t dim, double max_period, const Vec& t) {
  const int64_t half = dim / 2;
  Result r;
  r.resize(n * dim);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < half; ++j) {
      const double arg = t[i] * std::exp(-std::log(max_period) * j / half);
      r.value[i * dim + j] = std::cos(arg);
      r.value[i * dim + half + j] = std::sin(arg);
      r.mag[i * dim + j] = 1.0 + std::fabs(arg);
      r.mag[i * dim + half + j] = 1.0 + std::fabs(arg);
    }
  // An odd dim's last column stays 0 (Result starts zeroed).
  return r;
}

// ---- backward (input gradients) ------------------------------------------------------------
// Written from the formulas in guidance4j.h's backward section, and checked against central
// differences of the forward references above (backward_finite_difference_error).

inline Result conv2d_backward_input(const Conv2dShape& s, const Vec& dy, const Vec& w) {
  const int64_t ho = s.out_height(), wo = s.out_width();
  Result r;
  r.resize(s.batch * s.in_channels * s.height * s.width);
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t co = 0; co < s.out_channels; ++co)
      for (int64_t oy = 0; oy < ho; ++oy)
        for (int64_t ox = 0; ox < wo; ++ox) {
          const double g = dy[((b * s.out_channels + co) * ho + oy) * wo + ox];
          for (int64_t ci = 0; ci < s.in_channels; ++ci)
            for (int64_t ky = 0; ky < s.kernel; ++ky)
              for (int64_t kx = 0; kx < s.kernel; ++kx) {
                const int64_t iy = oy * s.stride - s.padding + ky;
                const int64_t ix = ox * s.stride - s.padding + kx;
                if (iy < 0 || iy >= s.height || ix < 0 || ix >= s.width) continue;
                const size_t i = ((b * s.in_channels + ci) * s.height + iy) * s.width + ix;
                const double term = g * w[((co * s.in_channels + ci) * s.kernel + ky) * s.kernel + kx];
                r.value[i] += term;
                r.mag[i] += std::fabs(term);
              }
        }
  return r;
}

// Magnitude, per element: a float32 n errs by n_mag ulps (as in group_norm), z by z_mag; SiLU's
// second derivative is within [-0.5, 0.5], so the SiLU factor errs by 0.5 z_mag; g's two group
// means err by the means of the terms' magnitudes; rstd's relative error (inv_cond ulps)
// scales the whole result.
inline Result group_norm_backward(int64_t batch, int64_t channels, int64_t spatial,
                                  int64_t groups, double eps, const Vec& x, const Vec* gamma,
                                  const Vec* beta, const Vec* scale, const Vec* shift,
                                  int64_t ss_stride, bool silu, const Vec& dy) {
  Result r;
  r.resize(x.size());
  const int64_t cpg = channels / groups, count = cpg * spatial;
  Vec n(count), n_mag(count), g(count), g_mag(count);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t grp = 0; grp < groups; ++grp) {
      const size_t base = (b * channels + grp * cpg) * spatial;
      double sum = 0.0;
      for (int64_t i = 0; i < count; ++i) sum += x[base + i];
      const double mean = sum / count;
      double sq = 0.0;
      for (int64_t i = 0; i < count; ++i) sq += (x[base + i] - mean) * (x[base + i] - mean);
      const double var = sq / count;
      const double inv = 1.0 / std::sqrt(var + eps);
      const double inv_cond = (mean * mean + var) / (var + eps);
      double mean_g = 0, mean_gn = 0, mean_g_mag = 0, mean_gn_mag = 0;
      for (int64_t i = 0; i < count; ++i) {
        const int64_t c = grp * cpg + i / spatial;
        const double ga = gamma ? (*gamma)[c] : 1.0;
        const double be = beta ? (*beta)[c] : 0.0;
        const double sc = scale ? (*scale)[b * ss_stride + c] : 0.0;
        const double sh = shift ? (*shift)[b * ss_stride + c] : 0.0;
        const double xi = x[base + i];
        n[i] = (xi - mean) * inv;
        n_mag[i] = (std::fabs(xi) + std::fabs(mean)) * inv + std::fabs(n[i]) * inv_cond;
        double dz = dy[base + i], dz_mag = std::fabs(dz);
        if (silu) {
          const double z = (n[i] * ga + be) * (1.0 + sc) + sh;
          const double z_mag =
              (n_mag[i] * std::fabs(ga) + std::fabs(be)) * (1.0 + std::fabs(sc)) + std::fabs(sh);
          const double sg = sigmoid(z);
          const double d = sg * (1.0 + z * (1.0 - sg));
          dz_mag = std::fabs(dz) * (sg * (1.0 + std::fabs(z) * (1.0 - sg)) + 0.5 * z_mag);
          dz *= d;
        }
        g[i] = dz * (1.0 + sc) * ga;
        g_mag[i] = dz_mag * (1.0 + std::fabs(sc)) * std::fabs(ga);
        mean_g += g[i] / count;
        mean_gn += g[i] * n[i] / count;
        mean_g_mag += g_mag[i] / count;
        mean_gn_mag += (g_mag[i] * std::fabs(n[i]) + std::fabs(g[i]) * n_mag[i]) / count;
      }
      for (int64_t i = 0; i < count; ++i) {
        const double v = inv * (g[i] - mean_g - n[i] * mean_gn);
        r.value[base + i] = v;
        r.mag[base + i] = inv * (g_mag[i] + mean_g_mag + n_mag[i] * std::fabs(mean_gn) +
                                 std::fabs(n[i]) * mean_gn_mag) +
                          std::fabs(v) * inv_cond;
      }
    }
  return r;
}

// Magnitude: the softmax weights of query t err relatively by 2 lmag_t ulps (lmag_t: the
// largest |logit| terms' sum, as in attention_column); dP by the sum of its |terms|.
inline Result attention_backward(int64_t batch, int64_t heads, int64_t head_dim, int64_t tokens,
                                 int layout, double scale, const Vec& qkv, const Vec& dout) {
  const int64_t width = 3 * heads * head_dim, T = tokens, D = head_dim;
  Result r;
  r.resize(qkv.size());
  Vec p(T * T), ds(T * T), ds_mag(T * T), lmag(T);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      auto row = [&](int64_t which, int64_t c) {
        return (b * width + qkv_row(layout, which, h, c, heads, head_dim)) * T;
      };
      auto at = [&](int64_t which, int64_t c, int64_t s) { return qkv[row(which, c) + s]; };
      auto dO = [&](int64_t c, int64_t t) { return dout[((b * heads + h) * D + c) * T + t]; };
      for (int64_t t = 0; t < T; ++t) {
        double lmax = -INFINITY;
        lmag[t] = 0.0;
        for (int64_t s = 0; s < T; ++s) {
          double dot = 0.0, dot_mag = 0.0;
          for (int64_t c = 0; c < D; ++c) {
            dot += at(0, c, t) * at(1, c, s);
            dot_mag += std::fabs(at(0, c, t) * at(1, c, s));
          }
          p[t * T + s] = scale * dot;
          lmax = std::max(lmax, scale * dot);
          lmag[t] = std::max(lmag[t], std::fabs(scale) * dot_mag);
        }
        double denom = 0.0;
        for (int64_t s = 0; s < T; ++s) denom += std::exp(p[t * T + s] - lmax);
        for (int64_t s = 0; s < T; ++s) p[t * T + s] = std::exp(p[t * T + s] - lmax) / denom;
        Vec dp(T), dp_mag(T);
        double delta = 0.0, delta_mag = 0.0;
        for (int64_t s = 0; s < T; ++s) {
          dp[s] = dp_mag[s] = 0.0;
          for (int64_t c = 0; c < D; ++c) {
            dp[s] += dO(c, t) * at(2, c, s);
            dp_mag[s] += std::fabs(dO(c, t) * at(2, c, s));
          }
          delta += p[t * T + s] * dp[s];
          delta_mag += p[t * T + s] * dp_mag[s];
        }
        for (int64_t s = 0; s < T; ++s) {
          const double pts = p[t * T + s];
          ds[t * T + s] = pts * (dp[s] - delta);
          ds_mag[t * T + s] =
              pts * (dp_mag[s] + delta_mag + std::fabs(dp[s] - delta) * (1.0 + 2.0 * lmag[t]));
        }
      }
      for (int64_t c = 0; c < D; ++c) {
        for (int64_t t = 0; t < T; ++t) {  // dq[c, t]
          double acc = 0.0, mag = 0.0;
          for (int64_t s = 0; s < T; ++s) {
            acc += ds[t * T + s] * at(1, c, s);
            mag += ds_mag[t * T + s] * std::fabs(at(1, c, s));
          }
          r.value[row(0, c) + t] = scale * acc;
          r.mag[row(0, c) + t] = std::fabs(scale) * mag;
        }
        for (int64_t s = 0; s < T; ++s) {  // dk[c, s] and dv[c, s]
          double ak = 0.0, mk = 0.0, av = 0.0, mv = 0.0;
          for (int64_t t = 0; t < T; ++t) {
            ak += ds[t * T + s] * at(0, c, t);
            mk += ds_mag[t * T + s] * std::fabs(at(0, c, t));
            av += p[t * T + s] * dO(c, t);
            mv += p[t * T + s] * std::fabs(dO(c, t)) * (1.0 + 2.0 * lmag[t]);
          }
          r.value[row(1, c) + s] = scale * ak;
          r.mag[row(1, c) + s] = std::fabs(scale) * mk;
          r.value[row(2, c) + s] = av;
          r.mag[row(2, c) + s] = mv;
        }
      }
    }
  return r;
}

inline Result avg_pool2x2_backward(int64_t planes, int64_t height, int64_t width, const Vec& dy) {
  const int64_t ho = height / 2, wo = width / 2;
  Result r;
  r.resize(planes * height * width);  // a dropped odd row or column stays 0
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t y = 0; y < 2 * ho; ++y)
      for (int64_t x = 0; x < 2 * wo; ++x) {
        const size_t i = (p * height + y) * width + x;
        r.value[i] = dy[(p * ho + y / 2) * wo + x / 2] / 4.0;
        r.mag[i] = std::fabs(r.value[i]);
      }
  return r;
}

// Magnitude: exp turns an absolute error of its argument into a relative one; the argument
// 0.5 (frac hi + (1 - frac) lo) errs by ulps of its terms and of frac (|v| + 1) |hi - lo| / 4.
inline Result learned_range_std(const Vec& v, double min_log, double max_log) {
  Result r;
  r.resize(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const double frac = (v[i] + 1.0) / 2.0;
    const double arg = 0.5 * (frac * max_log + (1.0 - frac) * min_log);
    r.value[i] = std::exp(arg);
    r.mag[i] = r.value[i] * (1.0 + 0.5 * (std::fabs(frac * max_log) +
                                          std::fabs((1.0 - frac) * min_log)) +
                             (std::fabs(v[i]) + 1.0) * std::fabs(max_log - min_log) / 4.0);
  }
  return r;
}

// ---- guidance with per-sample statistics ----------------------------------------------------

// Mean and unbiased variance of values[lo, lo + n), two passes.
inline void mean_var(const Vec& v, size_t lo, size_t n, double* mean, double* var) {
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) s += v[lo + i];
  *mean = s / double(n);
  double q = 0.0;
  for (size_t i = 0; i < n; ++i) q += (v[lo + i] - *mean) * (v[lo + i] - *mean);
  *var = q / double(n - 1);
}

// Magnitude: g's float32 terms err by u mag_g each, which moves std(g) by u mean(|g - mean|
// mag_g) / var(g) relative, and f with it; out errs by |f| of g's error plus |g| of f's.
inline Result cfg_rescale(int64_t batch, int64_t per_sample, const Vec& a, const Vec& b,
                          double scale, double phi) {
  Result r;
  r.resize(a.size());
  const size_t n = size_t(per_sample);
  Vec g(n), g_mag(n);
  for (int64_t s = 0; s < batch; ++s) {
    const size_t lo = size_t(s) * n;
    for (size_t i = 0; i < n; ++i) {
      g[i] = a[lo + i] + scale * (b[lo + i] - a[lo + i]);
      g_mag[i] = std::fabs(a[lo + i]) + std::fabs(scale) * (std::fabs(a[lo + i]) + std::fabs(b[lo + i]));
    }
    double mb, vb, mg, vg;
    mean_var(b, lo, n, &mb, &vb);
    mean_var(g, 0, n, &mg, &vg);
    const double ratio = vg > 0 ? std::sqrt(vb / vg) : 0.0;
    const double f = vg > 0 ? phi * ratio + (1.0 - phi) : 1.0;
    double spread = 0.0;
    for (size_t i = 0; i < n; ++i) spread += std::fabs(g[i] - mg) * g_mag[i];
    const double f_err = vg > 0 ? std::fabs(phi) * ratio * (spread / double(n)) / vg : 0.0;
    for (size_t i = 0; i < n; ++i) {
      r.value[lo + i] = f * g[i];
      r.mag[lo + i] = std::fabs(f) * g_mag[i] + std::fabs(g[i]) * (f_err + std::fabs(f));
    }
  }
  return r;
}

struct ApgResult {
  Result out;
  Result momentum;
};

// momentum_in: nullptr for "absent"; x: nullptr when px == 0.
// Magnitude: m and d(b) err by u mag_m, u mag_d per element; the threshold factor t by u
// sum |m| mag_m / ||m||^2 relative, k by u (sum |d| mag_m + |m| mag_d + 2 |k| |d| mag_d) / <d, d>.
inline ApgResult apg(int64_t batch, int64_t per_sample, const Vec* x, const Vec& a, const Vec& b,
                     double px, double pg, double scale, double eta, double norm_threshold,
                     double momentum, const Vec* momentum_in) {
  ApgResult r;
  r.out.resize(a.size());
  r.momentum.resize(a.size());
  const size_t n = size_t(per_sample);
  Vec d(n), d_mag(n);
  for (int64_t s = 0; s < batch; ++s) {
    const size_t lo = size_t(s) * n;
    double mm = 0, md = 0, dd = 0, t_err = 0, k_num_err = 0, k_den_err = 0;
    for (size_t i = 0; i < n; ++i) {
      const size_t j = lo + i;
      const double mi = pg * (b[j] - a[j]) + (momentum_in ? momentum * (*momentum_in)[j] : 0.0);
      const double mi_mag = std::fabs(pg) * (std::fabs(b[j]) + std::fabs(a[j])) +
                            (momentum_in ? std::fabs(momentum * (*momentum_in)[j]) : 0.0);
      const double xi = x ? (*x)[j] : 0.0;
      d[i] = px * xi + pg * b[j];
      d_mag[i] = std::fabs(px * xi) + std::fabs(pg * b[j]);
      r.momentum.value[j] = mi;
      r.momentum.mag[j] = mi_mag;
      mm += mi * mi;
      md += mi * d[i];
      dd += d[i] * d[i];
      t_err += std::fabs(mi) * mi_mag;
      k_num_err += std::fabs(d[i]) * mi_mag + std::fabs(mi) * d_mag[i];
      k_den_err += std::fabs(d[i]) * d_mag[i];
    }
    const double norm = std::sqrt(mm);
    const bool clipped = norm_threshold > 0 && norm > norm_threshold;
    const double t = clipped ? norm_threshold / norm : 1.0;
    const double k = dd > 0 ? md / dd : 0.0;
    const double c = (scale - 1.0) / pg * t;
    const double t_rel = clipped ? t_err / mm : 0.0;
    const double k_abs = dd > 0 ? (k_num_err + 2.0 * std::fabs(k) * k_den_err) / dd : 0.0;
    for (size_t i = 0; i < n; ++i) {
      const size_t j = lo + i;
      const double u = r.momentum.value[j] - (1.0 - eta) * k * d[i];
      r.out.value[j] = b[j] + c * u;
      r.out.mag[j] = std::fabs(b[j]) +
                     std::fabs(c) * (r.momentum.mag[j] + std::fabs((1.0 - eta) * k) * d_mag[i] +
                                     std::fabs(u) * t_rel + std::fabs(1.0 - eta) * std::fabs(d[i]) * k_abs);
    }
  }
  return r;
}

// Largest relative error (max |analytic - numeric| / max |numeric|) of the backward references
// against central differences of the forward references, on small fixed-seed problems: the
// backward references are then checked by the same code as the forward ones. A correct
// reference gives about 1e-9 (step 1e-5, double arithmetic).
inline double backward_finite_difference_error() {
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto normal = [&](size_t n, double sd) {  // Box-Muller over a 64-bit LCG: deterministic anywhere
    Vec v(n);
    for (size_t i = 0; i < n; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const double u = ((state >> 11) + 0.5) * 0x1p-53;
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const double w = ((state >> 11) + 0.5) * 0x1p-53;
      v[i] = sd * std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * w);
    }
    return v;
  };
  // d/dx_i of sum_j dy_j f(x)_j by central differences, against `grad`.
  auto check = [](Vec x, const Vec& dy, const Vec& grad, auto f) {
    const double h = 1e-5;
    double worst = 0.0, scale = 0.0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double x0 = x[i];
      x[i] = x0 + h;
      const Vec up = f(x);
      x[i] = x0 - h;
      const Vec down = f(x);
      x[i] = x0;
      double num = 0.0;
      for (size_t j = 0; j < dy.size(); ++j) num += dy[j] * (up[j] - down[j]) / (2 * h);
      worst = std::max(worst, std::fabs(num - grad[i]));
      scale = std::max(scale, std::fabs(num));
    }
    return worst / scale;
  };
  double err = 0.0;
  // conv2d: stride 2 over an odd size, so the last input row and column get no gradient.
  const Conv2dShape cs{2, 3, 7, 6, 4, 3, 2, 1};
  const Vec cx = normal(2 * 3 * 7 * 6, 1.0), cw = normal(4 * 3 * 9, 0.3);
  const Vec cdy = normal(cs.out_size(), 1.0);
  err = std::max(err, check(cx, cdy, conv2d_backward_input(cs, cdy, cw).value, [&](const Vec& x) {
    Vec out(cs.out_size());
    double mag;
    for (int64_t i = 0; i < cs.out_size(); ++i) conv2d_at(cs, x, cw, nullptr, nullptr, i, &out[i], &mag);
    return out;
  }));
  // group_norm with every option on (AdaGN scale and shift, SiLU), and with none.
  const int64_t gb = 2, gc = 6, gs = 5, gg = 3, stride = 2 * gc + 1;
  const Vec gx = normal(gb * gc * gs, 1.0), ga = normal(gc, 0.5), gbeta = normal(gc, 0.5);
  const Vec gsc = normal(gb * stride, 0.5), gsh = normal(gb * stride, 0.5);
  const Vec gdy = normal(gb * gc * gs, 1.0);
  for (bool all : {true, false}) {
    const Vec* o[4] = {&ga, &gbeta, &gsc, &gsh};
    if (!all) o[0] = o[1] = o[2] = o[3] = nullptr;
    const Vec grad = group_norm_backward(gb, gc, gs, gg, 1e-5, gx, o[0], o[1], o[2], o[3], stride,
                                         all, gdy).value;
    err = std::max(err, check(gx, gdy, grad, [&](const Vec& x) {
      return group_norm(gb, gc, gs, gg, 1e-5, x, o[0], o[1], o[2], o[3], stride, all).value;
    }));
  }
  // attention in each layout, 2 heads of 3 channels over 5 tokens.
  const int64_t ab = 2, ah = 2, ad = 3, at = 5;
  for (int layout : {G4J_QKV_LEGACY, G4J_QKV_NEW_ORDER, G4J_QKV_EDM2}) {
    const Vec qkv = normal(ab * 3 * ah * ad * at, 1.0), ady = normal(ab * ah * ad * at, 1.0);
    const Vec grad = attention_backward(ab, ah, ad, at, layout, 0.6, qkv, ady).value;
    err = std::max(err, check(qkv, ady, grad, [&](const Vec& x) {
      Vec out(ab * ah * ad * at);
      for (int64_t b = 0; b < ab; ++b)
        for (int64_t h = 0; h < ah; ++h)
          for (int64_t t = 0; t < at; ++t)
            attention_column(b, h, t, ah, ad, at, layout, 0.6, x,
                             [&](int64_t i, double v, double) { out[i] = v; });
      return out;
    }));
  }
  // avg_pool2x2 over odd sizes.
  const Vec px = normal(2 * 5 * 7, 1.0), pdy = normal(2 * 2 * 3, 1.0);
  err = std::max(err, check(px, pdy, avg_pool2x2_backward(2, 5, 7, pdy).value, [&](const Vec& x) {
    return avg_pool2x2(2, 5, 7, x).value;
  }));
  return err;
}

// ---- random numbers -------------------------------------------------------------------------

// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11).
struct Philox4 {
  uint32_t v[4];
};

inline Philox4 philox4x32_10(Philox4 ctr, uint32_t k0, uint32_t k1) {
  const uint64_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) k0 += 0x9E3779B9u, k1 += 0xBB67AE85u;  // the key schedule (Weyl sequence)
    const uint64_t p0 = m0 * ctr.v[0], p1 = m1 * ctr.v[2];
    const uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
    const uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    ctr = Philox4{{hi1 ^ ctr.v[1] ^ k0, lo1, hi0 ^ ctr.v[3] ^ k1, lo0}};
  }
  return ctr;
}

// Random123's published known-answer vectors; true when the implementation reproduces them.
inline bool philox_known_answers_ok() {
  const Philox4 zero = philox4x32_10(Philox4{{0, 0, 0, 0}}, 0, 0);
  const Philox4 ones = philox4x32_10(
      Philox4{{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}}, 0xffffffffu, 0xffffffffu);
  const uint32_t want_zero[4] = {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u};
  const uint32_t want_ones[4] = {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu};
  for (int i = 0; i < 4; ++i)
    if (zero.v[i] != want_zero[i] || ones.v[i] != want_ones[i]) return false;
  return true;
}

// g4j_randn's out[j * per_sample + e], j counted from first_sample (the global sample index is
// first_sample + j). Magnitude: a float32 Box-Muller rounds u and v by ulps (du = u ulp); the
// radius sqrt(-2 ln u) then moves by du / (u radius) = ulp / radius, the angle by 2 pi v ulp.
inline Result randn(uint64_t seed, uint32_t stream_id, int64_t first_sample, int64_t n_samples,
                    int64_t per_sample) {
  Result r;
  r.resize(n_samples * per_sample);
  const double two_pi = 2.0 * 3.14159265358979323846;
  for (int64_t j = 0; j < n_samples; ++j) {
    const uint64_t sample = uint64_t(first_sample + j);
    for (int64_t e = 0; e < per_sample; ++e) {
      const Philox4 bits = philox4x32_10(
          Philox4{{uint32_t(e / 4), uint32_t(sample), uint32_t(sample >> 32), stream_id}},
          uint32_t(seed), uint32_t(seed >> 32));
      const int pair = int(e % 4) / 2;  // (z0, z1) from r0, r1; (z2, z3) from r2, r3
      const double u = ((bits.v[2 * pair] >> 9) + 0.5) * 0x1p-23;
      const double v = ((bits.v[2 * pair + 1] >> 9) + 0.5) * 0x1p-23;
      const double radius = std::sqrt(-2.0 * std::log(u));
      const double trig = (e % 2 == 0) ? std::cos(two_pi * v) : std::sin(two_pi * v);
      const size_t o = j * per_sample + e;
      r.value[o] = radius * trig;
      r.mag[o] = std::fabs(r.value[o]) + std::fabs(trig) / radius + radius * two_pi * v;
    }
  }
  return r;
}

}  // namespace ref
