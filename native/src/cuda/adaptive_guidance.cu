// Guidance with per-sample statistics: CFG rescale and APG (semantics in guidance4j.h). Two
// kernels per op over a (chunks, batch) grid: the first reduces each chunk of a sample to K FP64
// partial sums in a stream-ordered scratch buffer; the second starts with every block adding its
// sample's partials in chunk order (a few hundred doubles at most) into the sample's
// coefficients, then applies them elementwise. No atomics: the sums, and the output, are the same
// on every run. The chunks depend only on per_sample, so batching does not change them either.
#include "group_norm.cuh"

namespace g4j {
namespace cuda {
namespace {

constexpr int kThreads = kGroupThreads;  // block_sum's block size
constexpr int64_t kMaxChunks = 64;       // per sample: enough blocks for any batch >= 2 on an H200
constexpr int64_t kMinChunk = 4096;      // elements: 16 per thread

struct Chunking {
  int64_t count, length;
};

Chunking chunking(int64_t per_sample, int64_t batch, const char* op) {
  if (batch > 65535) {
    fail(G4J_ERR_UNSUPPORTED, "%s: batch %lld exceeds the CUDA grid's 65535 rows", op,
         static_cast<long long>(batch));
  }
  int64_t count = (per_sample + kMinChunk - 1) / kMinChunk;
  if (count > kMaxChunks) count = kMaxChunks;
  return Chunking{count, (per_sample + count - 1) / count};
}

// This block's [lo, hi) within its sample.
__device__ __forceinline__ void chunk_range(int64_t per_sample, int64_t length, int64_t* lo,
                                            int64_t* hi) {
  *lo = static_cast<int64_t>(blockIdx.x) * length;
  *hi = *lo + length < per_sample ? *lo + length : per_sample;
}

// The K sums of this block's sample, from the partials of its gridDim.x chunks, into `sums`
// (shared memory) for every thread of the block.
template <int K>
__device__ void sample_sums(const double* partials, double* sums) {
  __syncthreads();
  if (threadIdx.x < K) {
    const double* p = partials + static_cast<int64_t>(blockIdx.y) * gridDim.x * K + threadIdx.x;
    double s = 0.0;
    for (unsigned c = 0; c < gridDim.x; ++c) s += p[static_cast<int64_t>(c) * K];
    sums[threadIdx.x] = s;
  }
  __syncthreads();
}

// ---- cfg_rescale ------------------------------------------------------------------------------

__device__ __forceinline__ float cfg(float a, float b, float scale) { return a + scale * (b - a); }

// Partials per chunk: sum and sum of squares of b - b[0] and of g - g[0] (the sample's first
// values as shifts keep the sums small where a mean is large against the spread).
template <typename T>
__global__ void __launch_bounds__(kThreads)
    rescale_stats_kernel(int64_t per_sample, int64_t length, const T* a, const T* b, float scale,
                         double* partials) {
  __shared__ double red[32];
  int64_t lo, hi;
  chunk_range(per_sample, length, &lo, &hi);
  const int64_t base = static_cast<int64_t>(blockIdx.y) * per_sample;
  const double b0 = to_f32(b[base]);
  const double g0 = cfg(to_f32(a[base]), to_f32(b[base]), scale);
  double sb = 0, sbb = 0, sg = 0, sgg = 0;
  for (int64_t i = lo + threadIdx.x; i < hi; i += kThreads) {
    const float fa = to_f32(a[base + i]), fb = to_f32(b[base + i]);
    const double db = fb - b0, dg = cfg(fa, fb, scale) - g0;
    sb += db;
    sbb += db * db;
    sg += dg;
    sgg += dg * dg;
  }
  double* out = partials + (static_cast<int64_t>(blockIdx.y) * gridDim.x + blockIdx.x) * 4;
  sb = block_sum(sb, red);
  sbb = block_sum(sbb, red);
  sg = block_sum(sg, red);
  sgg = block_sum(sgg, red);
  if (threadIdx.x == 0) out[0] = sb, out[1] = sbb, out[2] = sg, out[3] = sgg;
}

__device__ __forceinline__ double unbiased_variance(double sum, double sum_sq, int64_t n) {
  const double v = (sum_sq - sum * sum / static_cast<double>(n)) / static_cast<double>(n - 1);
  return v > 0 ? v : 0.0;
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    rescale_apply_kernel(int64_t per_sample, int64_t length, const T* a, const T* b, float scale,
                         float phi, const double* partials, T* out) {
  __shared__ double sums[4];
  sample_sums<4>(partials, sums);
  const double std_b = sqrt(unbiased_variance(sums[0], sums[1], per_sample));
  const double std_g = sqrt(unbiased_variance(sums[2], sums[3], per_sample));
  const float f = std_g > 0 ? static_cast<float>(phi * std_b / std_g + (1.0 - phi)) : 1.0f;
  int64_t lo, hi;
  chunk_range(per_sample, length, &lo, &hi);
  const int64_t base = static_cast<int64_t>(blockIdx.y) * per_sample;
  for (int64_t i = base + lo + threadIdx.x; i < base + hi; i += kThreads) {
    out[i] = from_f32<T>(f * cfg(to_f32(a[i]), to_f32(b[i]), scale));
  }
}

template <typename T>
void launch_cfg_rescale(cudaStream_t stream, const CfgRescaleArgs& r) {
  const Chunking ch = chunking(r.per_sample, r.batch, "cfg_rescale");
  const dim3 grid(static_cast<unsigned>(ch.count), static_cast<unsigned>(r.batch));
  Scratch partials(stream, static_cast<size_t>(r.batch * ch.count * 4) * sizeof(double));
  const T* a = static_cast<const T*>(r.a);
  const T* b = static_cast<const T*>(r.b);
  rescale_stats_kernel<T><<<grid, kThreads, 0, stream>>>(r.per_sample, ch.length, a, b, r.scale,
                                                         partials.as<double>());
  LAUNCH_CHECK();
  rescale_apply_kernel<T><<<grid, kThreads, 0, stream>>>(r.per_sample, ch.length, a, b, r.scale,
                                                         r.phi, partials.as<double>(),
                                                         static_cast<T*>(r.out));
  LAUNCH_CHECK();
}

// ---- apg --------------------------------------------------------------------------------------

struct ApgParams {
  int64_t per_sample, length;
  float px, pg, scale, eta, norm_threshold, momentum;
  const void* x; const void* a; const void* b; const void* m_in;
  void* m_out; void* out;
  double* partials;
};

template <typename T>
struct ApgView {
  const T* x; const T* a; const T* b; const T* m_in;
  T* m_out;
  float px, pg, momentum;
  __device__ explicit ApgView(const ApgParams& p)
      : x(static_cast<const T*>(p.x)), a(static_cast<const T*>(p.a)),
        b(static_cast<const T*>(p.b)), m_in(static_cast<const T*>(p.m_in)),
        m_out(static_cast<T*>(p.m_out)), px(p.px), pg(p.pg), momentum(p.momentum) {}
  // m: the x0 difference plus the momentum term
  __device__ float diff(int64_t i) const {
    const float d = pg * (to_f32(b[i]) - to_f32(a[i]));
    return m_in != nullptr ? d + momentum * to_f32(m_in[i]) : d;
  }
  // d(b): the conditional x0 prediction
  __device__ float x0(int64_t i) const {
    const float pb = pg * to_f32(b[i]);
    return x != nullptr ? px * to_f32(x[i]) + pb : pb;
  }
};

// Partials per chunk: <m, m>, <m, d(b)>, <d(b), d(b)>; m_out written on the way.
template <typename T>
__global__ void __launch_bounds__(kThreads) apg_stats_kernel(ApgParams p) {
  __shared__ double red[32];
  const ApgView<T> v(p);
  int64_t lo, hi;
  chunk_range(p.per_sample, p.length, &lo, &hi);
  const int64_t base = static_cast<int64_t>(blockIdx.y) * p.per_sample;
  double mm = 0, md = 0, dd = 0;
  for (int64_t i = base + lo + threadIdx.x; i < base + hi; i += kThreads) {
    const float m = v.diff(i);
    const double d = v.x0(i);
    if (v.m_out != nullptr) v.m_out[i] = from_f32<T>(m);
    mm += static_cast<double>(m) * m;
    md += static_cast<double>(m) * d;
    dd += d * d;
  }
  double* out = p.partials + (static_cast<int64_t>(blockIdx.y) * gridDim.x + blockIdx.x) * 3;
  mm = block_sum(mm, red);
  md = block_sum(md, red);
  dd = block_sum(dd, red);
  if (threadIdx.x == 0) out[0] = mm, out[1] = md, out[2] = dd;
}

// out = b + cm m + cd d(b), with cm = (scale - 1) / pg t and cd = -cm (1 - eta) k.
template <typename T>
__global__ void __launch_bounds__(kThreads) apg_apply_kernel(ApgParams p) {
  __shared__ double sums[3];
  sample_sums<3>(p.partials, sums);
  const double norm = sqrt(sums[0]);
  const double t =
      p.norm_threshold > 0 && norm > 0 ? fmin(1.0, static_cast<double>(p.norm_threshold) / norm)
                                       : 1.0;
  const double k = sums[2] > 0 ? sums[1] / sums[2] : 0.0;
  const double c = (static_cast<double>(p.scale) - 1.0) / static_cast<double>(p.pg) * t;
  const float cm = static_cast<float>(c);
  const float cd = static_cast<float>(-c * (1.0 - static_cast<double>(p.eta)) * k);
  const ApgView<T> v(p);
  T* out = static_cast<T*>(p.out);
  int64_t lo, hi;
  chunk_range(p.per_sample, p.length, &lo, &hi);
  const int64_t base = static_cast<int64_t>(blockIdx.y) * p.per_sample;
  for (int64_t i = base + lo + threadIdx.x; i < base + hi; i += kThreads) {
    // m as the first pass stored it when it did (momentum_out may have overwritten momentum_in)
    const float m = v.m_out != nullptr ? to_f32(v.m_out[i]) : v.diff(i);
    out[i] = from_f32<T>(to_f32(v.b[i]) + cm * m + cd * v.x0(i));
  }
}

template <typename T>
void launch_apg(cudaStream_t stream, const ApgArgs& a) {
  const Chunking ch = chunking(a.per_sample, a.batch, "apg");
  const dim3 grid(static_cast<unsigned>(ch.count), static_cast<unsigned>(a.batch));
  Scratch partials(stream, static_cast<size_t>(a.batch * ch.count * 3) * sizeof(double));
  const ApgParams p{a.per_sample, ch.length, a.px, a.pg, a.scale, a.eta, a.norm_threshold,
                    a.momentum, a.x, a.a, a.b, a.momentum_in, a.momentum_out, a.out,
                    partials.as<double>()};
  apg_stats_kernel<T><<<grid, kThreads, 0, stream>>>(p);
  LAUNCH_CHECK();
  apg_apply_kernel<T><<<grid, kThreads, 0, stream>>>(p);
  LAUNCH_CHECK();
}

}  // namespace

void cfg_rescale(Stream s, const CfgRescaleArgs& r) {
  dispatch_dtype(r.dtype, [&](auto tag) {
    launch_cfg_rescale<typename decltype(tag)::type>(as_cuda(s), r);
  });
}

void apg(Stream s, const ApgArgs& a) {
  dispatch_dtype(a.dtype, [&](auto tag) {
    launch_apg<typename decltype(tag)::type>(as_cuda(s), a);
  });
}

}  // namespace cuda
}  // namespace g4j
