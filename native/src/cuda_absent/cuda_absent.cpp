// The CUDA backend of a library built without nvcc: every entry fails with G4J_ERR_NO_DEVICE so
// api.cpp needs no #ifdef, and device_count reports 0 with the reason a user can act on.
#include <string>

#include "ops.h"

namespace g4j {
namespace cuda {
namespace {

const char* const kNotBuilt = "guidance4j was built without the CUDA backend";

[[noreturn]] void not_built() { throw Error(G4J_ERR_NO_DEVICE, kNotBuilt); }

}  // namespace

void cast(Stream, const CastArgs&) { not_built(); }
void fill(Stream, const FillArgs&) { not_built(); }
void axpby(Stream, const AxpbyArgs&) { not_built(); }
void silu(Stream, const UnaryArgs&) { not_built(); }
void add_channel_bias(Stream, const ChannelBiasArgs&) { not_built(); }
void guided_combine(Stream, const GuidedCombineArgs&) { not_built(); }
void guided_step(Stream, const GuidedStepArgs&) { not_built(); }
void group_norm(Stream, const GroupNormArgs&) { not_built(); }
void attention(Stream, const AttentionArgs&) { not_built(); }
void conv2d(Stream, const Conv2dArgs&) { not_built(); }
void gemm(Stream, const GemmArgs&) { not_built(); }
void linear(Stream, const LinearArgs&) { not_built(); }
void upsample_nearest2x(Stream, const Resample2xArgs&) { not_built(); }
void avg_pool2x2(Stream, const Resample2xArgs&) { not_built(); }
void timestep_embedding(Stream, const TimestepEmbeddingArgs&) { not_built(); }
void randn(Stream, const RandnArgs&) { not_built(); }
void conv2d_backward_input(Stream, const Conv2dBackwardInputArgs&) { not_built(); }
void group_norm_backward(Stream, const GroupNormBackwardArgs&) { not_built(); }
void attention_backward(Stream, const AttentionBackwardArgs&) { not_built(); }
void avg_pool2x2_backward(Stream, const AvgPoolBackwardArgs&) { not_built(); }
void learned_range_std(Stream, const LearnedRangeStdArgs&) { not_built(); }
void mark_nonfinite(Stream, const MarkNonfiniteArgs&) { not_built(); }
void scale_channels(Stream, const ScaleChannelsArgs&) { not_built(); }
void clamp(Stream, const ClampArgs&) { not_built(); }
void normalize(Stream, const NormalizeArgs&) { not_built(); }
void cfg_rescale(Stream, const CfgRescaleArgs&) { not_built(); }
void apg(Stream, const ApgArgs&) { not_built(); }
void concat_scale(Stream, const ConcatScaleArgs&) { not_built(); }
void axpby_clamp(Stream, const AxpbyClampArgs&) { not_built(); }
void embed_linear(Stream, const EmbedLinearArgs&) { not_built(); }

void set_device(int) { not_built(); }

int device_count(std::string* reason) {
  if (reason != nullptr) *reason = kNotBuilt;
  return 0;
}
void device_info(int, std::string*, size_t*) { not_built(); }
Stream stream_create(int) { not_built(); }
void stream_destroy(int, Stream) { not_built(); }
void stream_synchronize(int, Stream) { not_built(); }
void stream_wait(int, Stream, int, Stream) { not_built(); }
void* malloc_async(int, Stream, size_t) { not_built(); }
void free_async(int, Stream, void*) { not_built(); }
void* host_alloc_pinned(size_t) { not_built(); }
void host_free_pinned(void*) { not_built(); }
bool is_pinned(const void*) { return false; }
void memcpy_async(int, Stream, void*, const void*, size_t) { not_built(); }
void memcpy_2d_async(int, Stream, void*, size_t, const void*, size_t, size_t, size_t) {
  not_built();
}
void memory_stats(int, size_t*, size_t*) { not_built(); }

}  // namespace cuda
}  // namespace g4j
