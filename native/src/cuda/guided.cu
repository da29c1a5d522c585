// The guidance combination, the fused guided sampler update and the learned-range noise std of
// a DDPM step. The first two are pure streaming kernels (a few flops per element), so they move
// data in 16-byte vectors whenever every pointer is 16-byte aligned; the last
// n % (16 / sizeof(T)) elements, and any misaligned call, take the scalar path. out may alias
// an input: each element is read and written by the same thread.
#include <initializer_list>

#include "common.cuh"

namespace g4j {
namespace cuda {
namespace {

// ---- guided_combine ---------------------------------------------------------------------------

__device__ __forceinline__ float combine(float a, float b, float scale) {
  return a + scale * (b - a);
}

// Vectors [0, nvec) are processed 16 bytes at a time, elements [nvec * V, n) one by one.
template <typename T>
__global__ void guided_combine_kernel(int64_t n, int64_t nvec, const T* a, const T* b,
                                      float scale, T* out) {
  constexpr int V = Vec16<T>::kSize;
  const int64_t start = global_thread(), step = grid_threads();
  for (int64_t v = start; v < nvec; v += step) {
    float fa[V], fb[V], fo[V];
    load_vec(a + v * V, fa);
    load_vec(b + v * V, fb);
#pragma unroll
    for (int k = 0; k < V; ++k) fo[k] = combine(fa[k], fb[k], scale);
    store_vec(out + v * V, fo);
  }
  for (int64_t i = nvec * V + start; i < n; i += step) {
    out[i] = from_f32<T>(combine(to_f32(a[i]), to_f32(b[i]), scale));
  }
}

// ---- guided_step ------------------------------------------------------------------------------

struct StepCoef {
  float scale, px, pg, clip, qx, q0, qn;
};

struct StepPtrs {
  const void* x; const void* a; const void* b; const void* noise; const void* noise_std;
  void* out; void* x0_out;
};

// One element of the update; b, noise and std are ignored when their pointer is NULL (the
// caller passes 0 / 1 for them then).
__device__ __forceinline__ void step_one(const StepCoef& c, bool has_b, bool has_noise, float x,
                                         float a, float b, float noise, float std, float* out,
                                         float* x0_out) {
  const float g = has_b ? combine(a, b, c.scale) : a;
  float x0 = c.px * x + c.pg * g;
  if (c.clip > 0.0f) x0 = fminf(fmaxf(x0, -c.clip), c.clip);
  float v = c.qx * x + c.q0 * x0;
  if (has_noise) v += c.qn * std * noise;
  *out = v;
  *x0_out = x0;
}

template <typename T>
__global__ void guided_step_kernel(int64_t n, int64_t nvec, StepCoef c, StepPtrs p) {
  constexpr int V = Vec16<T>::kSize;
  const T* x = static_cast<const T*>(p.x);
  const T* a = static_cast<const T*>(p.a);
  const T* b = static_cast<const T*>(p.b);
  const T* noise = static_cast<const T*>(p.noise);
  const T* noise_std = static_cast<const T*>(p.noise_std);
  T* out = static_cast<T*>(p.out);
  T* x0_out = static_cast<T*>(p.x0_out);
  const bool has_b = b != nullptr, has_noise = noise != nullptr, has_std = noise_std != nullptr;
  const int64_t start = global_thread(), step = grid_threads();

  for (int64_t v = start; v < nvec; v += step) {
    const int64_t i = v * V;
    float fx[V], fa[V], fb[V], fn[V], fs[V], fo[V], f0[V];
    load_vec(x + i, fx);
    load_vec(a + i, fa);
#pragma unroll
    for (int k = 0; k < V; ++k) {
      fb[k] = 0.0f;
      fn[k] = 0.0f;
      fs[k] = 1.0f;
    }
    if (has_b) load_vec(b + i, fb);
    if (has_noise) {
      load_vec(noise + i, fn);
      if (has_std) load_vec(noise_std + i, fs);
    }
#pragma unroll
    for (int k = 0; k < V; ++k) {
      step_one(c, has_b, has_noise, fx[k], fa[k], fb[k], fn[k], fs[k], &fo[k], &f0[k]);
    }
    store_vec(out + i, fo);
    if (x0_out != nullptr) store_vec(x0_out + i, f0);
  }

  for (int64_t i = nvec * V + start; i < n; i += step) {
    const float fb = has_b ? to_f32(b[i]) : 0.0f;
    const float fn = has_noise ? to_f32(noise[i]) : 0.0f;
    const float fs = has_noise && has_std ? to_f32(noise_std[i]) : 1.0f;
    float fo, f0;
    step_one(c, has_b, has_noise, to_f32(x[i]), to_f32(a[i]), fb, fn, fs, &fo, &f0);
    out[i] = from_f32<T>(fo);
    if (x0_out != nullptr) x0_out[i] = from_f32<T>(f0);
  }
}

// A NULL optional pointer does not prevent the vector path.
bool all_aligned(std::initializer_list<const void*> ptrs) {
  for (const void* p : ptrs) {
    if (p != nullptr && !aligned16(p)) return false;
  }
  return true;
}

template <typename T>
void launch_guided_combine(cudaStream_t stream, const GuidedCombineArgs& g) {
  constexpr int V = Vec16<T>::kSize;
  const int64_t nvec = all_aligned({g.a, g.b, g.out}) ? g.n / V : 0;
  guided_combine_kernel<T><<<grid_for(nvec > 0 ? nvec : g.n), kElementwiseThreads, 0, stream>>>(
      g.n, nvec, static_cast<const T*>(g.a), static_cast<const T*>(g.b), g.scale,
      static_cast<T*>(g.out));
  LAUNCH_CHECK();
}

template <typename T>
void launch_guided_step(cudaStream_t stream, const GuidedStepArgs& g) {
  constexpr int V = Vec16<T>::kSize;
  const bool aligned =
      all_aligned({g.x, g.a, g.b, g.noise, g.noise_std, g.out, g.x0_out});
  const int64_t nvec = aligned ? g.n / V : 0;
  const StepCoef c{g.scale, g.px, g.pg, g.clip, g.qx, g.q0, g.qn};
  const StepPtrs p{g.x, g.a, g.b, g.noise, g.noise_std, g.out, g.x0_out};
  guided_step_kernel<T><<<grid_for(nvec > 0 ? nvec : g.n), kElementwiseThreads, 0, stream>>>(
      g.n, nvec, c, p);
  LAUNCH_CHECK();
}

// ---- learned_range_std ------------------------------------------------------------------------

// In FP64 like the CPU backend: exp of a log-variance near -20 would lose a few float ulps.
template <typename T>
__global__ void learned_range_std_kernel(int64_t n, const T* v, double min_log, double max_log,
                                         T* out) {
  for (int64_t i = global_thread(); i < n; i += grid_threads()) {
    const double frac = (static_cast<double>(to_f32(v[i])) + 1.0) * 0.5;
    out[i] = from_f32<T>(static_cast<float>(exp(0.5 * (frac * max_log + (1.0 - frac) * min_log))));
  }
}

template <typename T>
void launch_learned_range_std(cudaStream_t stream, const LearnedRangeStdArgs& l) {
  learned_range_std_kernel<T><<<grid_for(l.n), kElementwiseThreads, 0, stream>>>(
      l.n, static_cast<const T*>(l.v), l.min_log, l.max_log, static_cast<T*>(l.out));
  LAUNCH_CHECK();
}

}  // namespace

void guided_combine(Stream s, const GuidedCombineArgs& g) {
  if (g.n <= 0) return;
  dispatch_dtype(g.dtype, [&](auto tag) {
    launch_guided_combine<typename decltype(tag)::type>(as_cuda(s), g);
  });
}

void guided_step(Stream s, const GuidedStepArgs& g) {
  if (g.n <= 0) return;
  dispatch_dtype(g.dtype, [&](auto tag) {
    launch_guided_step<typename decltype(tag)::type>(as_cuda(s), g);
  });
}

void learned_range_std(Stream s, const LearnedRangeStdArgs& l) {
  if (l.n <= 0) return;
  dispatch_dtype(l.dtype, [&](auto tag) {
    launch_learned_range_std<typename decltype(tag)::type>(as_cuda(s), l);
  });
}

}  // namespace cuda
}  // namespace g4j
