// guided-diffusion's learned-range variance as a noise standard deviation, computed in double
// (an exp of a log-variance near -20 would otherwise lose a few float ulps).
#include <algorithm>
#include <cmath>

#include "../ops.h"
#include "thread_pool.h"

namespace g4j {
namespace cpu {

void learned_range_std(const LearnedRangeStdArgs& a) {
  const float* v = static_cast<const float*>(a.v);
  float* out = static_cast<float*>(a.out);
  const double lo = a.min_log, hi = a.max_log;
  parallel_for(0, a.n, 16384, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const double frac = (double(v[i]) + 1.0) * 0.5;
      out[i] = float(std::exp(0.5 * (frac * hi + (1.0 - frac) * lo)));
    }
  });
}

}  // namespace cpu
}  // namespace g4j
