// The input gradient of GroupNorm (+ affine, AdaGN, SiLU), one task per (sample, group), like
// the forward. With n the normalised input and g the gradient reaching n,
//   dx = rstd * (g - mean(g) - n * mean(g * n)),
// so each group takes two passes: g is formed (written into dx as scratch) while its two means
// accumulate in double, then dx is finished in place. The statistics are recomputed by the
// forward's code (group_stats.h).
#include <algorithm>
#include <cmath>

#include "../ops.h"
#include "group_stats.h"
#include "thread_pool.h"
#include "vec.h"

namespace g4j {
namespace cpu {

void group_norm_backward(const GroupNormBackwardArgs& g) {
  const int64_t per_group = g.channels / g.groups;
  const int64_t group_elems = per_group * g.spatial;
  const float* x = static_cast<const float*>(g.x);
  const float* gamma = static_cast<const float*>(g.gamma);
  const float* beta = static_cast<const float*>(g.beta);
  const float* scale = static_cast<const float*>(g.scale);
  const float* shift = static_cast<const float*>(g.shift);
  const float* dy = static_cast<const float*>(g.dy);
  float* dx = static_cast<float*>(g.dx);
  const int64_t grain = std::max<int64_t>(1, 32768 / group_elems);

  parallel_for(0, g.batch * g.groups, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t task = lo; task < hi; ++task) {
      const int64_t b = task / g.groups, grp = task % g.groups;
      const int64_t c0 = grp * per_group;
      const int64_t base = (b * g.channels + c0) * g.spatial;
      const float* xg = x + base;
      const double count = double(group_elems);
      const GroupStats st = group_stats(xg, group_elems, g.eps);
      const float rstd = float(st.rstd);
      const float mean_hi = st.mean_hi, mean_lo = st.mean_lo;

      double sum_g = 0.0, sum_gn = 0.0;
      const vf mu_hi = vset1(mean_hi), mu_lo = vset1(mean_lo), vr = vset1(rstd);
      const vf one = vset1(1.0f);
      for (int64_t c = c0; c < c0 + per_group; ++c) {
        const float gm = gamma ? gamma[c] : 1.0f;
        const float sc = scale ? 1.0f + scale[b * g.ss_stride + c] : 1.0f;
        const float bt = beta ? beta[c] : 0.0f;
        const float sh = shift ? shift[b * g.ss_stride + c] : 0.0f;
        const float k = gm * sc;  // dz -> g
        const vf vgm = vset1(gm), vsc = vset1(sc), vbt = vset1(bt), vsh = vset1(sh), vk = vset1(k);
        const int64_t off = (b * g.channels + c) * g.spatial;
        const float* xc = x + off;
        const float* dyc = dy + off;
        float* gc = dx + off;
        int64_t s = 0;
        // Float lanes summed over at most kFlush vectors before joining the double sums.
        constexpr int64_t kFlush = 64;
        while (s + kLanes <= g.spatial) {
          vf acc_g = vzero(), acc_gn = vzero();
          const int64_t stop = std::min(g.spatial, s + kFlush * kLanes);
          for (; s + kLanes <= stop; s += kLanes) {
            const vf n = vmul(vsub(vsub(vload(xc + s), mu_hi), mu_lo), vr);
            vf dz = vload(dyc + s);
            if (g.silu) {
              const vf z = vfma(vfma(n, vgm, vbt), vsc, vsh);
              const vf sig = vdiv(one, vadd(one, vexp(vsub(vzero(), z))));
              dz = vmul(dz, vmul(sig, vfma(z, vsub(one, sig), one)));
            }
            const vf gv = vmul(dz, vk);
            vstore(gc + s, gv);
            acc_g = vadd(acc_g, gv);
            acc_gn = vfma(gv, n, acc_gn);
          }
          sum_g += double(vsum(acc_g));
          sum_gn += double(vsum(acc_gn));
        }
        for (; s < g.spatial; ++s) {
          const float n = ((xc[s] - mean_hi) - mean_lo) * rstd;
          float dz = dyc[s];
          if (g.silu) {
            const float z = (n * gm + bt) * sc + sh;
            const float sig = 1.0f / (1.0f + exp_poly(-z));
            dz *= sig * (1.0f + z * (1.0f - sig));
          }
          const float gv = dz * k;
          gc[s] = gv;
          sum_g += double(gv);
          sum_gn += double(gv) * double(n);
        }
      }
      const float mean_g = float(sum_g / count), mean_gn = float(sum_gn / count);
      const vf vmg = vset1(mean_g), vmgn = vset1(mean_gn);
      float* dg = dx + base;
      int64_t i = 0;
      for (; i + kLanes <= group_elems; i += kLanes) {
        const vf n = vmul(vsub(vsub(vload(xg + i), mu_hi), mu_lo), vr);
        vstore(dg + i, vmul(vr, vsub(vsub(vload(dg + i), vmg), vmul(n, vmgn))));
      }
      for (; i < group_elems; ++i) {
        const float n = ((xg[i] - mean_hi) - mean_lo) * rstd;
        dg[i] = rstd * ((dg[i] - mean_g) - n * mean_gn);
      }
    }
  });
}

}  // namespace cpu
}  // namespace g4j
