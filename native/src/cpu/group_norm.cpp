// GroupNorm (+ gamma/beta, + AdaGN scale/shift, + SiLU), one task per (sample, group): the
// statistics (group_stats.h), then one pass that writes every channel with its own factor and
// offset.
#include <algorithm>
#include <cmath>

#include "../ops.h"
#include "group_stats.h"
#include "thread_pool.h"
#include "vec.h"

namespace g4j {
namespace cpu {

void group_norm(const GroupNormArgs& g) {
  const int64_t per_group = g.channels / g.groups;
  const int64_t group_elems = per_group * g.spatial;
  const float* x = static_cast<const float*>(g.x);
  const float* gamma = static_cast<const float*>(g.gamma);
  const float* beta = static_cast<const float*>(g.beta);
  const float* scale = static_cast<const float*>(g.scale);
  const float* shift = static_cast<const float*>(g.shift);
  float* out = static_cast<float*>(g.out);
  const int64_t grain = std::max<int64_t>(1, 32768 / group_elems);

  parallel_for(0, g.batch * g.groups, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t task = lo; task < hi; ++task) {
      const int64_t b = task / g.groups, grp = task % g.groups;
      const int64_t c0 = grp * per_group;
      const GroupStats st = group_stats(x + (b * g.channels + c0) * g.spatial, group_elems, g.eps);
      const double rstd = st.rstd;
      const float mean_hi = st.mean_hi, mean_lo = st.mean_lo;
      for (int64_t c = c0; c < c0 + per_group; ++c) {
        // y = ((x - mean) * rstd * gamma + beta) * (1 + scale) + shift = (x - mean) * m + a
        const double gm = gamma ? double(gamma[c]) : 1.0;
        const double bt = beta ? double(beta[c]) : 0.0;
        const double sc = scale ? 1.0 + double(scale[b * g.ss_stride + c]) : 1.0;
        const double sh = shift ? double(shift[b * g.ss_stride + c]) : 0.0;
        const vf m = vset1(float(rstd * gm * sc));
        const vf add = vset1(float(bt * sc + sh));
        const vf mu_hi = vset1(mean_hi), mu_lo = vset1(mean_lo);
        const float* xc = x + (b * g.channels + c) * g.spatial;
        float* oc = out + (b * g.channels + c) * g.spatial;
        int64_t s = 0;
        if (g.silu) {
          for (; s + kLanes <= g.spatial; s += kLanes) {
            vstore(oc + s, vsilu(vfma(vsub(vsub(vload(xc + s), mu_hi), mu_lo), m, add)));
          }
        } else {
          for (; s + kLanes <= g.spatial; s += kLanes) {
            vstore(oc + s, vfma(vsub(vsub(vload(xc + s), mu_hi), mu_lo), m, add));
          }
        }
        const float ms = float(rstd * gm * sc), as = float(bt * sc + sh);
        for (; s < g.spatial; ++s) {
          const float y = ((xc[s] - mean_hi) - mean_lo) * ms + as;
          oc[s] = g.silu ? silu1(y) : y;
        }
      }
    }
  });
}

}  // namespace cpu
}  // namespace g4j
