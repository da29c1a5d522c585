// C API: the backward ops (input gradients) and the learned-range variance. Like api_ops.cpp,
// each entry validates its arguments once, naming the argument and the values, and hands a
// plain struct to the stream's backend.
#include "api_boundary.h"

using namespace g4j;

extern "C" {

int g4j_conv2d_backward_input(g4j_stream* stream, int dtype, int64_t batch, int64_t in_channels,
                              int64_t height, int64_t width, int64_t out_channels, int64_t kernel,
                              int64_t stride, int64_t padding, const void* dy, const void* weight,
                              void* dx) {
  return guard("g4j_conv2d_backward_input", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(batch, 1, "batch");
    need_at_least(in_channels, 1, "in_channels");
    need_at_least(height, 1, "height");
    need_at_least(width, 1, "width");
    need_at_least(out_channels, 1, "out_channels");
    need_at_least(kernel, 1, "kernel");
    need_at_least(stride, 1, "stride");
    need_at_least(padding, 0, "padding");
    product({batch, in_channels, height, width});
    product({out_channels, in_channels, kernel, kernel});
    if (height + 2 * padding < kernel || width + 2 * padding < kernel) {
      fail(G4J_ERR_INVALID_ARGUMENT,
           "empty dy: input %lldx%lld with padding %lld is smaller than kernel %lld",
           static_cast<long long>(height), static_cast<long long>(width),
           static_cast<long long>(padding), static_cast<long long>(kernel));
    }
    const int64_t ho = (height + 2 * padding - kernel) / stride + 1;
    const int64_t wo = (width + 2 * padding - kernel) / stride + 1;
    product({batch, out_channels, ho, wo});
    need(dy, "dy");
    need(weight, "weight");
    need(dx, "dx");
    need_distinct(dx, "dx", dy, "dy");
    need_distinct(dx, "dx", weight, "weight");
    G4J_RUN(stream, conv2d_backward_input,
            (Conv2dBackwardInputArgs{dtype, batch, in_channels, height, width, out_channels,
                                     kernel, stride, padding, ho, wo, dy, weight, dx}));
  });
}

int g4j_group_norm_backward(g4j_stream* stream, int dtype, int64_t batch, int64_t channels,
                            int64_t spatial, int64_t groups, float eps, const void* x,
                            const void* gamma, const void* beta, const void* scale,
                            const void* shift, int64_t ss_stride, int silu, const void* dy,
                            void* dx) {
  return guard("g4j_group_norm_backward", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(batch, 1, "batch");
    need_at_least(channels, 1, "channels");
    need_at_least(spatial, 1, "spatial");
    need_at_least(groups, 1, "groups");
    product({batch, channels, spatial});
    if (channels % groups != 0) {
      fail(G4J_ERR_INVALID_ARGUMENT, "channels (%lld) is not a multiple of groups (%lld)",
           static_cast<long long>(channels), static_cast<long long>(groups));
    }
    if (!(eps >= 0) || !std::isfinite(eps)) {
      fail(G4J_ERR_INVALID_ARGUMENT, "eps must be finite and >= 0, got %g", eps);
    }
    if (scale != nullptr || shift != nullptr) need_at_least(ss_stride, channels, "ss_stride");
    need(x, "x");
    need(dy, "dy");
    need(dx, "dx");
    need_distinct(dx, "dx", x, "x");
    need_distinct(dx, "dx", dy, "dy");
    G4J_RUN(stream, group_norm_backward,
            (GroupNormBackwardArgs{dtype, batch, channels, spatial, groups, eps, x, gamma, beta,
                                   scale, shift, ss_stride, silu, dy, dx}));
  });
}

int g4j_attention_backward(g4j_stream* stream, int dtype, int64_t batch, int64_t heads,
                           int64_t head_dim, int64_t tokens, int layout, float scale,
                           const void* qkv, const void* dout, void* dqkv) {
  return guard("g4j_attention_backward", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(batch, 1, "batch");
    need_at_least(heads, 1, "heads");
    need_at_least(head_dim, 1, "head_dim");
    need_at_least(tokens, 1, "tokens");
    product({batch, heads, head_dim, tokens, 3});
    product({tokens, tokens});
    if (layout < G4J_QKV_LEGACY || layout > G4J_QKV_EDM2) {
      fail(G4J_ERR_INVALID_ARGUMENT, "unknown qkv layout %d", layout);
    }
    need_finite(scale, "scale");
    need(qkv, "qkv");
    need(dout, "dout");
    need(dqkv, "dqkv");
    need_distinct(dqkv, "dqkv", qkv, "qkv");
    need_distinct(dqkv, "dqkv", dout, "dout");
    G4J_RUN(stream, attention_backward,
            (AttentionBackwardArgs{dtype, batch, heads, head_dim, tokens, layout, scale, qkv,
                                   dout, dqkv}));
  });
}

int g4j_avg_pool2x2_backward(g4j_stream* stream, int dtype, int64_t planes, int64_t height,
                             int64_t width, const void* dy, void* dx) {
  return guard("g4j_avg_pool2x2_backward", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(planes, 1, "planes");
    need_at_least(height, 2, "height");
    need_at_least(width, 2, "width");
    product({planes, height, width});
    need(dy, "dy");
    need(dx, "dx");
    need_distinct(dx, "dx", dy, "dy");
    G4J_RUN(stream, avg_pool2x2_backward,
            (AvgPoolBackwardArgs{dtype, planes, height, width, dy, dx}));
  });
}

int g4j_learned_range_std(g4j_stream* stream, int dtype, int64_t n, const void* v, float min_log,
                          float max_log, void* out) {
  return guard("g4j_learned_range_std", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(n, 0, "n");
    need_finite(min_log, "min_log");
    need_finite(max_log, "max_log");
    if (n == 0) return;
    need(v, "v");
    need(out, "out");
    G4J_RUN(stream, learned_range_std, (LearnedRangeStdArgs{dtype, n, v, min_log, max_log, out}));
  });
}

}  // extern "C"
