// The contract between api.cpp and the backends. api.cpp validates every argument once (null
// pointers, positive sizes, enum values, dtype support) and then calls cpu:: or cuda:: with one
// of these structs; a backend may assume its arguments are valid and only throws g4j::Error for
// failures it alone can see (allocation, CUDA errors). Semantics of each op: guidance4j.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common.h"

namespace g4j {

struct CastArgs {
  int src_dtype; const void* src; int dst_dtype; void* dst; int64_t n;
};
struct FillArgs { int dtype; int64_t n; float value; void* out; };
struct AxpbyArgs {
  int dtype; int64_t n; float alpha; const void* x; float beta; const void* y; void* out;
};
struct UnaryArgs { int dtype; int64_t n; const void* x; void* out; };
struct ChannelBiasArgs {
  int dtype; int64_t batch, channels, spatial; const void* x; const void* bias;
  int64_t bias_stride; void* out;
};
struct ScaleChannelsArgs {
  int dtype; int64_t batch, channels, spatial; const void* x; const void* scale;
  int64_t scale_stride; void* out;
};
struct ClampArgs { int dtype; int64_t n; float lo, hi; const void* x; void* out; };
struct NormalizeArgs {
  int dtype; int64_t outer, dim, inner; float eps; const void* x; void* out;
  void* silu_out;  // g4j_normalize_silu's second output, NULL for g4j_normalize
};
struct ConcatScaleArgs {
  int dtype; int64_t batch, channels_a, channels_b, spatial; const void* a; const void* b;
  const void* scale; int64_t scale_stride; void* out; void* silu_out;
};
struct AxpbyClampArgs {
  int dtype; int64_t n; float alpha; const void* x; float beta; const void* y; float lo, hi;
  void* out;
};
struct GuidedCombineArgs {
  int dtype; int64_t n; const void* a; const void* b; float scale; void* out;
};
struct GuidedStepArgs {
  int dtype; int64_t n; const void* x; const void* a; const void* b; float scale;
  float px, pg, clip, qx, q0, qn; const void* noise; const void* noise_std; void* out;
  void* x0_out;
};
struct GroupNormArgs {
  int dtype; int64_t batch, channels, spatial, groups; float eps; const void* x;
  const void* gamma; const void* beta; const void* scale; const void* shift; int64_t ss_stride;
  int silu; void* out;
};
struct AttentionArgs {
  int dtype; int64_t batch, heads, head_dim, tokens; int layout; float scale; const void* qkv;
  void* out;
};
struct Conv2dArgs {
  int dtype; int64_t batch, in_channels, height, width, out_channels, kernel, stride, padding;
  int64_t out_height, out_width;  // filled in by api.cpp
  const void* x; const void* weight; const void* bias; const void* residual; void* out;
};
struct GemmArgs {
  int dtype; int trans_a, trans_b; int64_t m, n, k; float alpha; const void* a; int64_t lda,
      stride_a; const void* b; int64_t ldb, stride_b; float beta; void* c; int64_t ldc,
      stride_c, batch;
};
struct LinearArgs {
  int dtype; int64_t rows, in_features, out_features; const void* x; const void* weight;
  const void* bias; void* out;
};
struct EmbedLinearArgs {
  int dtype; int64_t rows, in_features, out_features; const void* x; const void* weight;
  const void* bias; const void* table; const float* index; int64_t table_rows, index_stride,
      feature_stride; int silu; void* out;
};
struct Resample2xArgs { int dtype; int64_t planes, height, width; const void* x; void* out; };
struct TimestepEmbeddingArgs {
  int dtype; int64_t n, dim; float max_period; const float* timesteps; void* out;
};
struct RandnArgs {
  int dtype; uint64_t seed; uint32_t stream_id; int64_t first_sample, n_samples, per_sample;
  void* out;
};

// Backward ops (input gradients) and sampler helpers; semantics in guidance4j.h.
struct Conv2dBackwardInputArgs {
  int dtype; int64_t batch, in_channels, height, width, out_channels, kernel, stride, padding;
  int64_t out_height, out_width;  // of dy, filled in by api_backward.cpp
  const void* dy; const void* weight; void* dx;
};
struct GroupNormBackwardArgs {
  int dtype; int64_t batch, channels, spatial, groups; float eps; const void* x;
  const void* gamma; const void* beta; const void* scale; const void* shift; int64_t ss_stride;
  int silu; const void* dy; void* dx;
};
struct AttentionBackwardArgs {
  int dtype; int64_t batch, heads, head_dim, tokens; int layout; float scale; const void* qkv;
  const void* dout; void* dqkv;
};
// height and width are dx's (the pooled input's); dy is (planes, height / 2, width / 2).
struct AvgPoolBackwardArgs { int dtype; int64_t planes, height, width; const void* dy; void* dx; };
struct LearnedRangeStdArgs {
  int dtype; int64_t n; const void* v; float min_log, max_log; void* out;
};
struct MarkNonfiniteArgs {
  int dtype; int64_t batch, per_sample; const void* x; int32_t step; float* first_step;
};
// Guidance with per-sample statistics (api_guidance.cpp); semantics in guidance4j.h.
struct CfgRescaleArgs {
  int dtype; int64_t batch, per_sample; const void* a; const void* b; float scale, phi;
  void* out;
};
struct ApgArgs {
  int dtype; int64_t batch, per_sample; const void* x; const void* a; const void* b;
  float px, pg, scale, eta, norm_threshold, momentum; const void* momentum_in;
  void* momentum_out; void* out;
};

// Channel index of q (which = 0), k (1) or v (2), head h, channel c in a qkv tensor of `layout`
// with `heads` heads of `head_dim` channels: the single definition both backends use.
#ifdef __CUDACC__
__host__ __device__
#endif
inline int64_t qkv_channel(int layout, int64_t which, int64_t h, int64_t c, int64_t heads,
                           int64_t head_dim) {
  switch (layout) {
    case G4J_QKV_LEGACY: return h * 3 * head_dim + which * head_dim + c;
    case G4J_QKV_NEW_ORDER: return which * heads * head_dim + h * head_dim + c;
    default: return (h * head_dim + c) * 3 + which;  // G4J_QKV_EDM2
  }
}

// CPU backend (native/src/cpu/): synchronous, threaded, F32 compute (cast handles all dtypes).
namespace cpu {
void cast(const CastArgs&);
void fill(const FillArgs&);
void axpby(const AxpbyArgs&);
void silu(const UnaryArgs&);
void add_channel_bias(const ChannelBiasArgs&);
void guided_combine(const GuidedCombineArgs&);
void guided_step(const GuidedStepArgs&);
void group_norm(const GroupNormArgs&);
void attention(const AttentionArgs&);
void conv2d(const Conv2dArgs&);
void gemm(const GemmArgs&);
void linear(const LinearArgs&);
void embed_linear(const EmbedLinearArgs&);
void upsample_nearest2x(const Resample2xArgs&);
void avg_pool2x2(const Resample2xArgs&);
void timestep_embedding(const TimestepEmbeddingArgs&);
void randn(const RandnArgs&);
void conv2d_backward_input(const Conv2dBackwardInputArgs&);
void group_norm_backward(const GroupNormBackwardArgs&);
void attention_backward(const AttentionBackwardArgs&);
void avg_pool2x2_backward(const AvgPoolBackwardArgs&);
void learned_range_std(const LearnedRangeStdArgs&);
void mark_nonfinite(const MarkNonfiniteArgs&);
void scale_channels(const ScaleChannelsArgs&);
void clamp(const ClampArgs&);
void normalize(const NormalizeArgs&);
void cfg_rescale(const CfgRescaleArgs&);
void apg(const ApgArgs&);
void concat_scale(const ConcatScaleArgs&);
void axpby_clamp(const AxpbyClampArgs&);

void set_num_threads(int threads);
int num_threads();
}  // namespace cpu

// CUDA backend (native/src/cuda/): every op enqueues on `stream` (a cudaStream_t) and returns
// without synchronising; every CUDA call and launch is checked and failures throw g4j::Error.
namespace cuda {
using Stream = void*;  // cudaStream_t, kept opaque so this header needs no CUDA include
void cast(Stream, const CastArgs&);
void fill(Stream, const FillArgs&);
void axpby(Stream, const AxpbyArgs&);
void silu(Stream, const UnaryArgs&);
void add_channel_bias(Stream, const ChannelBiasArgs&);
void guided_combine(Stream, const GuidedCombineArgs&);
void guided_step(Stream, const GuidedStepArgs&);
void group_norm(Stream, const GroupNormArgs&);
void attention(Stream, const AttentionArgs&);
void conv2d(Stream, const Conv2dArgs&);
void gemm(Stream, const GemmArgs&);
void linear(Stream, const LinearArgs&);
void embed_linear(Stream, const EmbedLinearArgs&);
void upsample_nearest2x(Stream, const Resample2xArgs&);
void avg_pool2x2(Stream, const Resample2xArgs&);
void timestep_embedding(Stream, const TimestepEmbeddingArgs&);
void randn(Stream, const RandnArgs&);
void conv2d_backward_input(Stream, const Conv2dBackwardInputArgs&);
void group_norm_backward(Stream, const GroupNormBackwardArgs&);
void attention_backward(Stream, const AttentionBackwardArgs&);
void avg_pool2x2_backward(Stream, const AvgPoolBackwardArgs&);
void learned_range_std(Stream, const LearnedRangeStdArgs&);
void mark_nonfinite(Stream, const MarkNonfiniteArgs&);
void scale_channels(Stream, const ScaleChannelsArgs&);
void clamp(Stream, const ClampArgs&);
void normalize(Stream, const NormalizeArgs&);
void cfg_rescale(Stream, const CfgRescaleArgs&);
void apg(Stream, const ApgArgs&);
void concat_scale(Stream, const ConcatScaleArgs&);
void axpby_clamp(Stream, const AxpbyClampArgs&);

// Makes `device` current on the calling thread before an op is enqueued on one of its streams
// (Java may call from any thread; a thread's current device starts at 0). Implemented in
// native/src/cuda/device_select.cu and native/src/cuda_absent/cuda_absent.cpp.
void set_device(int device);

// Runtime: devices, streams, memory (native/src/cuda/runtime.cu).
int device_count(std::string* reason);  // 0 with a reason where none is usable; never throws
void device_info(int device, std::string* name, size_t* total_bytes);
Stream stream_create(int device);
void stream_destroy(int device, Stream);
void stream_synchronize(int device, Stream);
void stream_wait(int waiter_device, Stream waiter, int signaler_device, Stream signaler);
void* malloc_async(int device, Stream, size_t bytes);
void free_async(int device, Stream, void* ptr);
void* host_alloc_pinned(size_t bytes);
void host_free_pinned(void* ptr);
bool is_pinned(const void* ptr);
void memcpy_async(int device, Stream, void* dst, const void* src, size_t bytes);
void memcpy_2d_async(int device, Stream, void* dst, size_t dst_pitch, const void* src,
                     size_t src_pitch, size_t row_bytes, size_t rows);
void memory_stats(int device, size_t* in_use, size_t* reserved);
}  // namespace cuda

}  // namespace g4j
