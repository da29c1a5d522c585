// Multi-head self-attention forward. F16/BF16: the tensor-core flash kernel (attention_flash.cuh).
// F32: attention.cuh's SIMT kernel in kForward mode (exact F32 arithmetic throughout), one block
// per (sample, head, tile of kThreads / G queries).
#include "attention.cuh"
#include "attention_flash.cuh"

namespace g4j {
namespace cuda {

void attention(Stream s, const AttentionArgs& a) {
  if (a.batch <= 0 || a.heads <= 0 || a.head_dim <= 0 || a.tokens <= 0) return;
  if (a.dtype != G4J_F32) {
    flash::forward(as_cuda(s), a);
    return;
  }
  attn::dispatch_head_dim(a.head_dim, "attention", [&](auto dmax, auto lanes) {
    constexpr int DMAX = decltype(dmax)::value, G = decltype(lanes)::value;
    constexpr int kRows = attn::kThreads / G;
    const int64_t row_tiles = (a.tokens + kRows - 1) / kRows;
    const unsigned blocks = attn::attention_blocks(a.batch, a.heads, row_tiles, "attention");
    const attn::Params p{a.heads, a.head_dim, a.tokens, row_tiles, a.layout, a.scale,
                         a.qkv,   nullptr,    a.out,    nullptr};
    attn::attention_forward_kernel<float, DMAX, G, attn::Mode::kForward>
        <<<blocks, attn::kThreads, 0, as_cuda(s)>>>(p);
    LAUNCH_CHECK();
  });
}

}  // namespace cuda
}  // namespace g4j
