// GroupNorm's statistics, shared by the forward (group_norm.cpp) and the backward
// (backward_group_norm.cpp): two passes accumulated in double over one group's contiguous
// values (a group can hold millions of elements, and a single-pass float sum of squares loses
// the variance when the mean is large), biased variance, eps inside the square root.
#pragma once

#include <cmath>
#include <cstdint>

#include "vec.h"

namespace g4j {
namespace cpu {

struct GroupStats {
  double mean, rstd;
  // The mean as a float pair: x - hi - lo is exact for x near the mean (Sterbenz), so a large
  // mean with a small spread keeps the spread's precision.
  float mean_hi, mean_lo;
};

inline GroupStats group_stats(const float* x, int64_t count, float eps) {
  const double n = double(count);
  const double mean = sum_double(x, count) / n;
  const double var = sum_sq_dev_double(x, count, mean) / n;
  const float hi = float(mean);
  return GroupStats{mean, 1.0 / std::sqrt(var + double(eps)), hi, float(mean - double(hi))};
}

}  // namespace cpu
}  // namespace g4j
