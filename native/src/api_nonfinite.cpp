// C API: the non-finite watch (g4j_mark_nonfinite). Its own file beside api_ops.cpp because it
// takes every dtype on every backend (only bit patterns are tested), unlike the compute ops.
#include "api_boundary.h"

using namespace g4j;

extern "C" {

int g4j_mark_nonfinite(g4j_stream* stream, int dtype, int64_t batch, int64_t per_sample,
                       const void* x, int32_t step, float* first_step) {
  return guard("g4j_mark_nonfinite", [&] {
    need_stream(stream);
    if (!is_dtype(dtype)) fail(G4J_ERR_INVALID_ARGUMENT, "unknown dtype %d", dtype);
    need_at_least(batch, 0, "batch");
    need_at_least(per_sample, 0, "per_sample");
    need_at_least(step, 0, "step");
    product({batch, per_sample, static_cast<int64_t>(dtype_size(dtype))});
    if (batch == 0) return;
    need(first_step, "first_step");
    if (per_sample == 0) return;
    need(x, "x");
    need_distinct(x, "x", first_step, "first_step");
    G4J_RUN(stream, mark_nonfinite,
            (MarkNonfiniteArgs{dtype, batch, per_sample, x, step, first_step}));
  });
}

}  // extern "C"
