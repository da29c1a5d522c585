// g4j_randn on the CPU: the shared Philox4x32-10 + Box-Muller definition of philox.h, one
// counter (four normals) per work item, so any split of samples or threads gives the same bits.
#include <algorithm>

#include "../ops.h"
#include "../philox.h"
#include "thread_pool.h"

namespace g4j {
namespace cpu {

void randn(const RandnArgs& a) {
  const int64_t per = a.per_sample, quads = (per + 3) / 4;
  float* out = static_cast<float*>(a.out);
  parallel_for(0, a.n_samples * quads, 4096, [&](int64_t lo, int64_t hi) {
    for (int64_t w = lo; w < hi; ++w) {
      const int64_t j = w / quads, q = w % quads;
      float z[4];
      randn4(a.seed, a.stream_id, uint64_t(a.first_sample + j), uint64_t(q), z);
      float* o = out + j * per + 4 * q;
      const int64_t count = std::min<int64_t>(4, per - 4 * q);
      for (int64_t e = 0; e < count; ++e) o[e] = z[e];
    }
  });
}

}  // namespace cpu
}  // namespace g4j
