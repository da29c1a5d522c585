// C API: the guidance ops with per-sample statistics (CFG rescale, APG). Arguments are checked
// here once, as api_ops.cpp does for the other ops.
#include "api_boundary.h"

using namespace g4j;

namespace {

// Shapes every per-sample op shares: batch >= 1 samples of per_sample >= min elements.
void need_per_sample(int64_t batch, int64_t per_sample, int64_t min) {
  need_at_least(batch, 1, "batch");
  need_at_least(per_sample, min, "per_sample");
  product({batch, per_sample});
}

}  // namespace

extern "C" {

int g4j_cfg_rescale(g4j_stream* stream, int dtype, int64_t batch, int64_t per_sample,
                    const void* a, const void* b, float scale, float phi, void* out) {
  return guard("g4j_cfg_rescale", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    // a standard deviation with Bessel's correction needs two values
    need_per_sample(batch, per_sample, 2);
    need_finite(scale, "scale");
    need_finite(phi, "phi");
    need(a, "a");
    need(b, "b");
    need(out, "out");
    G4J_RUN(stream, cfg_rescale, (CfgRescaleArgs{dtype, batch, per_sample, a, b, scale, phi, out}));
  });
}

int g4j_apg(g4j_stream* stream, int dtype, int64_t batch, int64_t per_sample, const void* x,
            const void* a, const void* b, float px, float pg, float scale, float eta,
            float norm_threshold, float momentum, const void* momentum_in, void* momentum_out,
            void* out) {
  return guard("g4j_apg", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_per_sample(batch, per_sample, 1);
    const float values[] = {px, pg, scale, eta, norm_threshold, momentum};
    const char* names[] = {"px", "pg", "scale", "eta", "norm_threshold", "momentum"};
    for (int i = 0; i < 6; ++i) need_finite(values[i], names[i]);
    if (pg == 0.0f) fail(G4J_ERR_INVALID_ARGUMENT, "pg must not be 0 (out = b + (scale - 1) / pg u)");
    if (norm_threshold < 0) {
      fail(G4J_ERR_INVALID_ARGUMENT, "norm_threshold must be >= 0 (0: off), got %g",
           norm_threshold);
    }
    if (px != 0.0f) need(x, "x (px != 0)");
    need(a, "a");
    need(b, "b");
    need(out, "out");
    need_distinct(out, "out", px != 0.0f ? x : nullptr, "x");
    need_distinct(out, "out", momentum_in, "momentum_in");
    need_distinct(out, "out", momentum_out, "momentum_out");
    // the second pass reads a, b and x again after momentum_out is written
    need_distinct(momentum_out, "momentum_out", a, "a");
    need_distinct(momentum_out, "momentum_out", b, "b");
    need_distinct(momentum_out, "momentum_out", px != 0.0f ? x : nullptr, "x");
    G4J_RUN(stream, apg,
            (ApgArgs{dtype, batch, per_sample, px != 0.0f ? x : nullptr, a, b, px, pg, scale, eta,
                     norm_threshold, momentum, momentum_in, momentum_out, out}));
  });
}

}  // extern "C"
