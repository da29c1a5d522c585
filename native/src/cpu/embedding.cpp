// guided-diffusion's timestep_embedding, computed the way torch does it in float32:
// freqs = exp(-ln(max_period) * arange(half) / half) with each step rounded to float, then
// args = t * freqs in float, then cos | sin (| 0 for an odd dim).
#include <algorithm>
#include <cmath>
#include <vector>

#include "../ops.h"
#include "thread_pool.h"

namespace g4j {
namespace cpu {

void timestep_embedding(const TimestepEmbeddingArgs& a) {
  const int64_t dim = a.dim, half = dim / 2;
  std::vector<float> freqs(static_cast<size_t>(half));
  const float neg_log = float(-std::log(double(a.max_period)));
  for (int64_t j = 0; j < half; ++j) {
    const float e = (float(j) * neg_log) / float(half);
    freqs[size_t(j)] = std::exp(e);
  }
  float* out = static_cast<float*>(a.out);
  parallel_for(0, a.n, std::max<int64_t>(1, 4096 / dim), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const float t = a.timesteps[i];
      float* o = out + i * dim;
      for (int64_t j = 0; j < half; ++j) {
        const float arg = t * freqs[size_t(j)];
        o[j] = std::cos(arg);
        o[half + j] = std::sin(arg);
      }
      if (dim % 2) o[dim - 1] = 0.0f;
    }
  });
}

}  // namespace cpu
}  // namespace g4j
