// Guidance with per-sample statistics: CFG rescale and APG (semantics in guidance4j.h). Each op
// is two parallel passes over (sample, chunk) tasks: the first sums the statistics of its chunk
// in double into its own slot, the second adds a sample's slots in chunk order and applies the
// result. The chunks depend only on per_sample, so the sums, and with them the output, are the
// same for any thread count and batch size.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../ops.h"
#include "thread_pool.h"

namespace g4j {
namespace cpu {
namespace {

constexpr int64_t kChunk = 1 << 15;

struct Chunks {
  int64_t per_sample, count;  // chunks per sample
  explicit Chunks(int64_t n) : per_sample(n), count((n + kChunk - 1) / kChunk) {}
  int64_t begin(int64_t c) const { return c * kChunk; }
  int64_t end(int64_t c) const { return std::min(per_sample, (c + 1) * kChunk); }
};

// Runs fn(sample, lo, hi) for every chunk [lo, hi) of every sample, in parallel.
template <class F>
void for_each_chunk(int64_t batch, const Chunks& ch, F&& fn) {
  parallel_for(0, batch * ch.count, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t s = t / ch.count, c = t % ch.count;
      fn(s, t, ch.begin(c), ch.end(c));
    }
  });
}

// The K sums of sample s: its chunks' slots added in chunk order.
template <int K>
void sample_sums(const std::vector<double>& slots, const Chunks& ch, int64_t s, double* out) {
  for (int k = 0; k < K; ++k) out[k] = 0.0;
  for (int64_t c = 0; c < ch.count; ++c)
    for (int k = 0; k < K; ++k) out[k] += slots[(s * ch.count + c) * K + k];
}

// Unbiased variance from sums of x - shift over n values (the shift, the sample's first value,
// keeps the sums small where the mean is large against the spread).
double variance(double sum, double sum_sq, int64_t n) {
  const double v = (sum_sq - sum * sum / double(n)) / double(n - 1);
  return v > 0 ? v : 0.0;
}

}  // namespace

void cfg_rescale(const CfgRescaleArgs& r) {
  const float* a = static_cast<const float*>(r.a);
  const float* b = static_cast<const float*>(r.b);
  float* out = static_cast<float*>(r.out);
  const float scale = r.scale;
  const int64_t n = r.per_sample;
  const Chunks ch(n);
  // per chunk: sum and sum of squares of b - b[0] and of g - g[0]
  std::vector<double> slots(size_t(r.batch * ch.count) * 4);
  for_each_chunk(r.batch, ch, [&](int64_t s, int64_t task, int64_t lo, int64_t hi) {
    const float* as = a + s * n;
    const float* bs = b + s * n;
    const double b0 = bs[0], g0 = as[0] + scale * (bs[0] - as[0]);
    double sb = 0, sbb = 0, sg = 0, sgg = 0;
    for (int64_t i = lo; i < hi; ++i) {
      const double db = double(bs[i]) - b0;
      const double dg = double(as[i] + scale * (bs[i] - as[i])) - g0;
      sb += db;
      sbb += db * db;
      sg += dg;
      sgg += dg * dg;
    }
    double* slot = &slots[size_t(task) * 4];
    slot[0] = sb, slot[1] = sbb, slot[2] = sg, slot[3] = sgg;
  });
  std::vector<float> factor(size_t(r.batch));
  for (int64_t s = 0; s < r.batch; ++s) {
    double sums[4];
    sample_sums<4>(slots, ch, s, sums);
    const double std_b = std::sqrt(variance(sums[0], sums[1], n));
    const double std_g = std::sqrt(variance(sums[2], sums[3], n));
    factor[s] = std_g > 0 ? float(double(r.phi) * std_b / std_g + (1.0 - double(r.phi))) : 1.0f;
  }
  for_each_chunk(r.batch, ch, [&](int64_t s, int64_t, int64_t lo, int64_t hi) {
    const float f = factor[s];
    const float* as = a + s * n;
    const float* bs = b + s * n;
    float* os = out + s * n;
    for (int64_t i = lo; i < hi; ++i) os[i] = f * (as[i] + scale * (bs[i] - as[i]));
  });
}

void apg(const ApgArgs& p) {
  const float* x = static_cast<const float*>(p.x);
  const float* a = static_cast<const float*>(p.a);
  const float* b = static_cast<const float*>(p.b);
  const float* m_in = static_cast<const float*>(p.momentum_in);
  float* m_out = static_cast<float*>(p.momentum_out);
  float* out = static_cast<float*>(p.out);
  const float px = p.px, pg = p.pg, beta = p.momentum;
  const int64_t n = p.per_sample;
  const Chunks ch(n);
  auto diff = [&](int64_t i) {
    const float d = pg * (b[i] - a[i]);
    return m_in != nullptr ? d + beta * m_in[i] : d;
  };
  auto x0 = [&](int64_t i) { return x != nullptr ? px * x[i] + pg * b[i] : pg * b[i]; };
  // per chunk: <m, m>, <m, d(b)>, <d(b), d(b)>
  std::vector<double> slots(size_t(p.batch * ch.count) * 3);
  for_each_chunk(p.batch, ch, [&](int64_t s, int64_t task, int64_t lo, int64_t hi) {
    double mm = 0, md = 0, dd = 0;
    for (int64_t i = s * n + lo; i < s * n + hi; ++i) {
      const float m = diff(i);
      const double d = x0(i);
      if (m_out != nullptr) m_out[i] = m;
      mm += double(m) * m;
      md += double(m) * d;
      dd += d * d;
    }
    double* slot = &slots[size_t(task) * 3];
    slot[0] = mm, slot[1] = md, slot[2] = dd;
  });
  // per sample: out = b + cm * m + cd * d(b)
  std::vector<float> cm(size_t(p.batch)), cd(size_t(p.batch));
  for (int64_t s = 0; s < p.batch; ++s) {
    double sums[3];
    sample_sums<3>(slots, ch, s, sums);
    const double norm = std::sqrt(sums[0]);
    const double t = p.norm_threshold > 0 && norm > 0 ? std::min(1.0, p.norm_threshold / norm) : 1.0;
    const double k = sums[2] > 0 ? sums[1] / sums[2] : 0.0;
    const double c = (double(p.scale) - 1.0) / double(pg) * t;
    cm[s] = float(c);
    cd[s] = float(-c * (1.0 - double(p.eta)) * k);
  }
  for_each_chunk(p.batch, ch, [&](int64_t s, int64_t, int64_t lo, int64_t hi) {
    const float fm = cm[s], fd = cd[s];
    for (int64_t i = s * n + lo; i < s * n + hi; ++i) {
      const float m = m_out != nullptr ? m_out[i] : diff(i);
      out[i] = b[i] + fm * m + fd * x0(i);
    }
  });
}

}  // namespace cpu
}  // namespace g4j
