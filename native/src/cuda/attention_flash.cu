// The tensor-core attention forward's configurations (attention_flash.cuh), chosen by head dim
// and token count.
#include "attention_flash.cuh"

namespace g4j {
namespace cuda {
namespace flash {

namespace {

// Configurations measured on an H200 (bf16, B = 16, the median of 7 batches of launches;
// native/tests/cuda/attention_bench.cu, PyTorch 2.11's scaled_dot_product_attention beside it
// from tools/attention_sdpa.py):
//   D <= 64, T <= 256: 4 warps x 16 queries, at most 128 registers (4 blocks per SM): 256
//     tokens x 9 heads 18.3 us (SDPA 13.6 us), 64 tokens x 12 heads 5.4 us (SDPA 8.7 us);
//   D <= 64, longer: 4 warps x 32 queries (each K/V fragment feeds two m16 tiles), 3 stages,
//     lazy rescaling: 1024 tokens x 6 heads 93.1 us = 277 TFLOP/s (SDPA 63.1 us), 4096 tokens
//     311 TFLOP/s (SDPA 467); without lazy rescaling 99.7 us, with 8 warps x 16 queries 107 us;
//   D <= 32: 4 warps x 16 queries: 1024 tokens x 12 heads 123.5 us (SDPA 120.1 us);
//   D <= 128: 4 warps x 16 queries (250 registers): 1024 tokens x 3 heads 116.5 us (SDPA 46 us,
//     560 TFLOP/s: wgmma territory, which mma.sync cannot reach with Q and O in registers).
template <typename T>
void forward_typed(cudaStream_t stream, const AttentionArgs& a) {
  auto run = [&](auto cfg) {
    launch<T, decltype(cfg)>(stream, a.batch, a.heads, a.head_dim, a.tokens, a.layout, a.scale,
                             a.qkv, a.out);
  };
  constexpr bool kLazy = true;
  if (a.head_dim <= 32) {
    run(Config<32, 4, 1, 64, 2>{});
  } else if (a.head_dim <= 64) {
    if (a.tokens <= 256) {
      run(Config<64, 4, 1, 64, 2, 4>{});
    } else {
      run(Config<64, 4, 2, 64, 3, 2, kLazy>{});
    }
  } else if (a.head_dim <= 128) {
    run(Config<128, 4, 1, 64, 2>{});
  } else {
    fail(G4J_ERR_UNSUPPORTED, "attention: head_dim %lld > 128 is not supported on CUDA",
         static_cast<long long>(a.head_dim));
  }
}

}  // namespace

void forward(cudaStream_t stream, const AttentionArgs& a) {
  if (a.dtype == G4J_F16) {
    forward_typed<__half>(stream, a);
  } else if (a.dtype == G4J_BF16) {
    forward_typed<__nv_bfloat16>(stream, a);
  } else {
    fail(G4J_ERR_INTERNAL, "flash attention: dtype %d is not F16/BF16", a.dtype);
  }
}

}  // namespace flash
}  // namespace cuda
}  // namespace g4j
