// C API: the ops. Each entry validates its arguments once, here, with messages that name the
// argument and the values, and then hands a plain struct to the stream's backend.
#include "api_boundary.h"

using namespace g4j;

extern "C" {

int g4j_cast(g4j_stream* stream, int src_dtype, const void* src, int dst_dtype, void* dst,
             int64_t n) {
  return guard("g4j_cast", [&] {
    need_stream(stream);
    if (!is_dtype(src_dtype)) fail(G4J_ERR_INVALID_ARGUMENT, "unknown src_dtype %d", src_dtype);
    if (!is_dtype(dst_dtype)) fail(G4J_ERR_INVALID_ARGUMENT, "unknown dst_dtype %d", dst_dtype);
    need_at_least(n, 0, "n");
    if (n == 0) return;
    need(src, "src");
    need(dst, "dst");
    G4J_RUN(stream, cast, (CastArgs{src_dtype, src, dst_dtype, dst, n}));
  });
}

int g4j_fill(g4j_stream* stream, int dtype, int64_t n, float value, void* out) {
  return guard("g4j_fill", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(n, 0, "n");
    if (n == 0) return;
    need(out, "out");
    G4J_RUN(stream, fill, (FillArgs{dtype, n, value, out}));
  });
}

int g4j_axpby(g4j_stream* stream, int dtype, int64_t n, float alpha, const void* x, float beta,
              const void* y, void* out) {
  return guard("g4j_axpby", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(n, 0, "n");
    if (n == 0) return;
    need(x, "x");
    if (beta != 0.0f) need(y, "y");
    need(out, "out");
    G4J_RUN(stream, axpby, (AxpbyArgs{dtype, n, alpha, x, beta, beta != 0.0f ? y : nullptr, out}));
  });
}

int g4j_silu(g4j_stream* stream, int dtype, int64_t n, const void* x, void* out) {
  return guard("g4j_silu", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(n, 0, "n");
    if (n == 0) return;
    need(x, "x");
    need(out, "out");
    G4J_RUN(stream, silu, (UnaryArgs{dtype, n, x, out}));
  });
}

int g4j_add_channel_bias(g4j_stream* stream, int dtype, int64_t batch, int64_t channels,
                         int64_t spatial, const void* x, const void* bias, int64_t bias_stride,
                         void* out) {
  return guard("g4j_add_channel_bias", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(batch, 1, "batch");
    need_at_least(channels, 1, "channels");
    need_at_least(spatial, 1, "spatial");
    need_at_least(bias_stride, channels, "bias_stride");
    product({batch, channels, spatial});
    need(x, "x");
    need(bias, "bias");
    need(out, "out");
    G4J_RUN(stream, add_channel_bias,
            (ChannelBiasArgs{dtype, batch, channels, spatial, x, bias, bias_stride, out}));
  });
}

int g4j_guided_combine(g4j_stream* stream, int dtype, int64_t n, const void* a, const void* b,
                       float scale, void* out) {
  return guard("g4j_guided_combine", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(n, 0, "n");
    need_finite(scale, "scale");
    if (n == 0) return;
    need(a, "a");
    need(b, "b");
    need(out, "out");
    G4J_RUN(stream, guided_combine, (GuidedCombineArgs{dtype, n, a, b, scale, out}));
  });
}

int g4j_guided_step(g4j_stream* stream, int dtype, int64_t n, const void* x, const void* a,
                    const void* b, float scale, float px, float pg, float clip, float qx,
                    float q0, float qn, const void* noise, const void* noise_std, void* out,
                    void* x0_out) {
  return guard("g4j_guided_step", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(n, 0, "n");
    const float coefficients[] = {scale, px, pg, clip, qx, q0, qn};
    const char* names[] = {"scale", "px", "pg", "clip", "qx", "q0", "qn"};
    for (int i = 0; i < 7; ++i) need_finite(coefficients[i], names[i]);
    if (clip < 0) fail(G4J_ERR_INVALID_ARGUMENT, "clip must be >= 0 (0: off), got %g", clip);
    if (noise_std != nullptr && noise == nullptr) {
      fail(G4J_ERR_INVALID_ARGUMENT, "noise_std given without noise");
    }
    if (n == 0) return;
    need(x, "x");
    need(a, "a");
    need(out, "out");
    need_distinct(x0_out, "x0_out", out, "out");
    G4J_RUN(stream, guided_step,
            (GuidedStepArgs{dtype, n, x, a, b, scale, px, pg, clip, qx, q0, qn, noise, noise_std,
                            out, x0_out}));
  });
}

int g4j_group_norm(g4j_stream* stream, int dtype, int64_t batch, int64_t channels,
                   int64_t spatial, int64_t groups, float eps, const void* x, const void* gamma,
                   const void* beta, const void* scale, const void* shift, int64_t ss_stride,
                   int silu, void* out) {
  return guard("g4j_group_norm", [&] {
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
    need(out, "out");
    need_distinct(out, "out", x, "x");
    G4J_RUN(stream, group_norm,
            (GroupNormArgs{dtype, batch, channels, spatial, groups, eps, x, gamma, beta, scale,
                           shift, ss_stride, silu, out}));
  });
}

int g4j_attention(g4j_stream* stream, int dtype, int64_t batch, int64_t heads, int64_t head_dim,
                  int64_t tokens, int layout, float scale, const void* qkv, void* out) {
  return guard("g4j_attention", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(batch, 1, "batch");
    need_at_least(heads, 1, "heads");
    need_at_least(head_dim, 1, "head_dim");
    need_at_least(tokens, 1, "tokens");
    product({batch, heads, head_dim, tokens, 3});
    if (layout < G4J_QKV_LEGACY || layout > G4J_QKV_EDM2) {
      fail(G4J_ERR_INVALID_ARGUMENT, "unknown qkv layout %d", layout);
    }
    need_finite(scale, "scale");
    need(qkv, "qkv");
    need(out, "out");
    need_distinct(out, "out", qkv, "qkv");
    G4J_RUN(stream, attention,
            (AttentionArgs{dtype, batch, heads, head_dim, tokens, layout, scale, qkv, out}));
  });
}

int g4j_conv2d(g4j_stream* stream, int dtype, int64_t batch, int64_t in_channels, int64_t height,
               int64_t width, int64_t out_channels, int64_t kernel, int64_t stride,
               int64_t padding, const void* x, const void* weight, const void* bias,
               const void* residual, void* out) {
  return guard("g4j_conv2d", [&] {
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
    int64_t ho = (height + 2 * padding - kernel) / stride + 1;
    int64_t wo = (width + 2 * padding - kernel) / stride + 1;
    if (height + 2 * padding < kernel || width + 2 * padding < kernel) {
      fail(G4J_ERR_INVALID_ARGUMENT,
           "empty output: input %lldx%lld with padding %lld is smaller than kernel %lld",
           static_cast<long long>(height), static_cast<long long>(width),
           static_cast<long long>(padding), static_cast<long long>(kernel));
    }
    product({batch, out_channels, ho, wo});
    need(x, "x");
    need(weight, "weight");
    need(out, "out");
    need_distinct(out, "out", x, "x");
    need_distinct(residual, "residual", out, "out");
    G4J_RUN(stream, conv2d,
            (Conv2dArgs{dtype, batch, in_channels, height, width, out_channels, kernel, stride,
                        padding, ho, wo, x, weight, bias, residual, out}));
  });
}

int g4j_gemm(g4j_stream* stream, int dtype, int trans_a, int trans_b, int64_t m, int64_t n,
             int64_t k, float alpha, const void* a, int64_t lda, int64_t stride_a, const void* b,
             int64_t ldb, int64_t stride_b, float beta, void* c, int64_t ldc, int64_t stride_c,
             int64_t batch) {
  return guard("g4j_gemm", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(m, 1, "m");
    need_at_least(n, 1, "n");
    need_at_least(k, 1, "k");
    need_at_least(batch, 1, "batch");
    need_at_least(lda, trans_a ? m : k, trans_a ? "lda (trans_a: >= m)" : "lda (>= k)");
    need_at_least(ldb, trans_b ? k : n, trans_b ? "ldb (trans_b: >= k)" : "ldb (>= n)");
    need_at_least(ldc, n, "ldc");
    need_at_least(stride_a, 0, "stride_a");
    need_at_least(stride_b, 0, "stride_b");
    if (batch > 1) need_at_least(stride_c, 1, "stride_c (batch > 1)");
    need_finite(alpha, "alpha");
    need_finite(beta, "beta");
    product({m, ldc});
    product({batch, stride_c});
    need(a, "a");
    need(b, "b");
    need(c, "c");
    G4J_RUN(stream, gemm,
            (GemmArgs{dtype, trans_a != 0, trans_b != 0, m, n, k, alpha, a, lda, stride_a, b, ldb,
                      stride_b, beta, c, ldc, stride_c, batch}));
  });
}

int g4j_linear(g4j_stream* stream, int dtype, int64_t rows, int64_t in_features,
               int64_t out_features, const void* x, const void* weight, const void* bias,
               void* out) {
  return guard("g4j_linear", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(rows, 1, "rows");
    need_at_least(in_features, 1, "in_features");
    need_at_least(out_features, 1, "out_features");
    product({rows, in_features});
    product({rows, out_features});
    product({out_features, in_features});
    need(x, "x");
    need(weight, "weight");
    need(out, "out");
    need_distinct(out, "out", x, "x");
    G4J_RUN(stream, linear,
            (LinearArgs{dtype, rows, in_features, out_features, x, weight, bias, out}));
  });
}

int g4j_embed_linear(g4j_stream* stream, int dtype, int64_t rows, int64_t in_features,
                     int64_t out_features, const void* x, const void* weight, const void* bias,
                     const void* table, const float* index, int64_t table_rows,
                     int64_t index_stride, int64_t feature_stride, int silu, void* out) {
  return guard("g4j_embed_linear", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(rows, 1, "rows");
    need_at_least(in_features, 1, "in_features");
    need_at_least(out_features, 1, "out_features");
    product({rows, in_features});
    product({rows, out_features});
    product({out_features, in_features});
    need(x, "x");
    need(weight, "weight");
    need(out, "out");
    need_distinct(out, "out", x, "x");
    need_distinct(out, "out", weight, "weight");
    need_distinct(out, "out", bias, "bias");
    need_distinct(out, "out", table, "table");
    if (table != nullptr) {
      need(index, "index (with a table)");
      need_at_least(table_rows, 1, "table_rows");
      need_at_least(index_stride, 0, "index_stride");
      need_at_least(feature_stride, 0, "feature_stride");
      // the largest element the table term can read
      const int64_t last = product({table_rows - 1, index_stride}) +
                           product({out_features - 1, feature_stride});
      if (last < 0) fail(G4J_ERR_INVALID_ARGUMENT, "table extent overflows 64 bits");
    }
    G4J_RUN(stream, embed_linear,
            (EmbedLinearArgs{dtype, rows, in_features, out_features, x, weight, bias, table,
                             table != nullptr ? index : nullptr, table_rows, index_stride,
                             feature_stride, silu, out}));
  });
}

int g4j_upsample_nearest2x(g4j_stream* stream, int dtype, int64_t planes, int64_t height,
                           int64_t width, const void* x, void* out) {
  return guard("g4j_upsample_nearest2x", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(planes, 1, "planes");
    need_at_least(height, 1, "height");
    need_at_least(width, 1, "width");
    product({planes, height, width, 4});
    need(x, "x");
    need(out, "out");
    need_distinct(out, "out", x, "x");
    G4J_RUN(stream, upsample_nearest2x, (Resample2xArgs{dtype, planes, height, width, x, out}));
  });
}

int g4j_avg_pool2x2(g4j_stream* stream, int dtype, int64_t planes, int64_t height, int64_t width,
                    const void* x, void* out) {
  return guard("g4j_avg_pool2x2", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(planes, 1, "planes");
    need_at_least(height, 2, "height");
    need_at_least(width, 2, "width");
    product({planes, height, width});
    need(x, "x");
    need(out, "out");
    need_distinct(out, "out", x, "x");
    G4J_RUN(stream, avg_pool2x2, (Resample2xArgs{dtype, planes, height, width, x, out}));
  });
}

int g4j_timestep_embedding(g4j_stream* stream, int dtype, int64_t n, int64_t dim,
                           float max_period, const float* timesteps, void* out) {
  return guard("g4j_timestep_embedding", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(n, 1, "n");
    need_at_least(dim, 2, "dim");
    product({n, dim});
    if (!(max_period > 0) || !std::isfinite(max_period)) {
      fail(G4J_ERR_INVALID_ARGUMENT, "max_period must be finite and > 0, got %g", max_period);
    }
    need(timesteps, "timesteps");
    need(out, "out");
    G4J_RUN(stream, timestep_embedding,
            (TimestepEmbeddingArgs{dtype, n, dim, max_period, timesteps, out}));
  });
}

int g4j_randn(g4j_stream* stream, int dtype, uint64_t seed, uint32_t stream_id,
              int64_t first_sample, int64_t n_samples, int64_t per_sample, void* out) {
  return guard("g4j_randn", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(first_sample, 0, "first_sample");
    need_at_least(n_samples, 0, "n_samples");
    need_at_least(per_sample, 0, "per_sample");
    if (per_sample / 4 > static_cast<int64_t>(UINT32_MAX)) {
      fail(G4J_ERR_INVALID_ARGUMENT, "per_sample %lld exceeds the generator's 2^34 elements",
           static_cast<long long>(per_sample));
    }
    if (product({n_samples, per_sample}) == 0) return;
    need(out, "out");
    G4J_RUN(stream, randn,
            (RandnArgs{dtype, seed, stream_id, first_sample, n_samples, per_sample, out}));
  });
}

// ---- EDM2's magnitude-preserving pieces ---------------------------------------------------------

int g4j_scale_channels(g4j_stream* stream, int dtype, int64_t batch, int64_t channels,
                       int64_t spatial, const void* x, const void* scale, int64_t scale_stride,
                       void* out) {
  return guard("g4j_scale_channels", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(batch, 1, "batch");
    need_at_least(channels, 1, "channels");
    need_at_least(spatial, 1, "spatial");
    if (scale_stride != 0) need_at_least(scale_stride, channels, "scale_stride (0 or >= channels)");
    product({batch, channels, spatial});
    product({batch, scale_stride});
    need(x, "x");
    need(scale, "scale");
    need(out, "out");
    need_distinct(out, "out", scale, "scale");
    G4J_RUN(stream, scale_channels,
            (ScaleChannelsArgs{dtype, batch, channels, spatial, x, scale, scale_stride, out}));
  });
}

int g4j_clamp(g4j_stream* stream, int dtype, int64_t n, float lo, float hi, const void* x,
              void* out) {
  return guard("g4j_clamp", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(n, 0, "n");
    if (std::isnan(lo) || std::isnan(hi) || !(lo <= hi)) {
      fail(G4J_ERR_INVALID_ARGUMENT, "need lo <= hi (neither NaN), got lo %g, hi %g", lo, hi);
    }
    if (n == 0) return;
    need(x, "x");
    need(out, "out");
    G4J_RUN(stream, clamp, (ClampArgs{dtype, n, lo, hi, x, out}));
  });
}

int g4j_normalize(g4j_stream* stream, int dtype, int64_t outer, int64_t dim, int64_t inner,
                  float eps, const void* x, void* out) {
  return guard("g4j_normalize", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(outer, 1, "outer");
    need_at_least(dim, 1, "dim");
    need_at_least(inner, 1, "inner");
    product({outer, dim, inner});
    if (!(eps > 0) || !std::isfinite(eps)) {
      fail(G4J_ERR_INVALID_ARGUMENT, "eps must be finite and > 0, got %g", eps);
    }
    need(x, "x");
    need(out, "out");
    G4J_RUN(stream, normalize, (NormalizeArgs{dtype, outer, dim, inner, eps, x, out, nullptr}));
  });
}

int g4j_normalize_silu(g4j_stream* stream, int dtype, int64_t outer, int64_t dim, int64_t inner,
                       float eps, const void* x, void* out, void* silu_out) {
  return guard("g4j_normalize_silu", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(outer, 1, "outer");
    need_at_least(dim, 1, "dim");
    need_at_least(inner, 1, "inner");
    product({outer, dim, inner});
    if (!(eps > 0) || !std::isfinite(eps)) {
      fail(G4J_ERR_INVALID_ARGUMENT, "eps must be finite and > 0, got %g", eps);
    }
    need(x, "x");
    need(out, "out");
    need(silu_out, "silu_out");
    need_distinct(silu_out, "silu_out", x, "x");
    need_distinct(silu_out, "silu_out", out, "out");
    G4J_RUN(stream, normalize, (NormalizeArgs{dtype, outer, dim, inner, eps, x, out, silu_out}));
  });
}

int g4j_concat_scale(g4j_stream* stream, int dtype, int64_t batch, int64_t channels_a,
                     int64_t channels_b, int64_t spatial, const void* a, const void* b,
                     const void* scale, int64_t scale_stride, void* out, void* silu_out) {
  return guard("g4j_concat_scale", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(batch, 1, "batch");
    need_at_least(channels_a, 1, "channels_a");
    need_at_least(channels_b, 0, "channels_b");
    need_at_least(spatial, 1, "spatial");
    const int64_t channels = channels_a + channels_b;
    product({batch, channels, spatial});
    if (scale != nullptr && scale_stride != 0) {
      need_at_least(scale_stride, channels,
                    "scale_stride (0 or >= channels_a + channels_b)");
      product({batch, scale_stride});
    }
    if (scale == nullptr) scale_stride = 0;
    need(a, "a");
    if (channels_b > 0) need(b, "b");
    if (out == nullptr && silu_out == nullptr) {
      fail(G4J_ERR_INVALID_ARGUMENT, "out and silu_out are both NULL: nothing to write");
    }
    need_distinct(out, "out", silu_out, "silu_out");
    need_distinct(out, "out", scale, "scale");
    need_distinct(silu_out, "silu_out", scale, "scale");
    if (channels_b > 0) {
      need_distinct(out, "out", a, "a (with channels_b > 0)");
      need_distinct(out, "out", b, "b");
      need_distinct(silu_out, "silu_out", a, "a (with channels_b > 0)");
      need_distinct(silu_out, "silu_out", b, "b");
    }
    G4J_RUN(stream, concat_scale,
            (ConcatScaleArgs{dtype, batch, channels_a, channels_b, spatial, a,
                             channels_b > 0 ? b : nullptr, scale, scale_stride, out, silu_out}));
  });
}

int g4j_axpby_clamp(g4j_stream* stream, int dtype, int64_t n, float alpha, const void* x,
                    float beta, const void* y, float lo, float hi, void* out) {
  return guard("g4j_axpby_clamp", [&] {
    need_stream(stream);
    need_dtype(stream, dtype);
    need_at_least(n, 0, "n");
    need_finite(alpha, "alpha");
    need_finite(beta, "beta");
    if (std::isnan(lo) || std::isnan(hi) || !(lo <= hi)) {
      fail(G4J_ERR_INVALID_ARGUMENT, "need lo <= hi (neither NaN), got lo %g, hi %g", lo, hi);
    }
    if (n == 0) return;
    need(x, "x");
    need(y, "y");
    need(out, "out");
    G4J_RUN(stream, axpby_clamp, (AxpbyClampArgs{dtype, n, alpha, x, beta, y, lo, hi, out}));
  });
}

}  // extern "C"
