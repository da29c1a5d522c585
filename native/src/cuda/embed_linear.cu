// The linear layers of an embedding MLP for a few rows, with bias, gathered table row and SiLU
// fused in (g4j_embed_linear). Memory-bound on the weight: each warp owns one output feature,
// streams its weight row with 16-byte loads (once from DRAM; the repeats for further row groups
// hit L1) against kRowsPerPass rows of x at a time, and reduces across the warp.
#include "group_norm.cuh"

namespace g4j {
namespace cuda {
namespace {

constexpr int kEmbedWarps = 8;  // output features per block
constexpr int kRowsPerPass = 4;

struct EmbedLinearParams {
  int64_t rows, in, out_features;
  const void* x; const void* weight; const void* bias; const void* table;
  const float* index;
  int64_t table_rows, index_stride, feature_stride;
  int silu;
  void* out;
};

template <typename T, int V>
__global__ void __launch_bounds__(kEmbedWarps * 32) embed_linear_kernel(EmbedLinearParams p) {
  const int lane = threadIdx.x % 32;
  const int64_t o = static_cast<int64_t>(blockIdx.x) * kEmbedWarps + threadIdx.x / 32;
  if (o >= p.out_features) return;  // whole warps: the shuffles below stay warp-uniform
  const T* x = static_cast<const T*>(p.x);
  const T* w = static_cast<const T*>(p.weight) + o * p.in;
  const T* bias = static_cast<const T*>(p.bias);
  const T* table = static_cast<const T*>(p.table);
  T* out = static_cast<T*>(p.out);
  for (int64_t r0 = 0; r0 < p.rows; r0 += kRowsPerPass) {
    float acc[kRowsPerPass] = {};
    for (int64_t k = static_cast<int64_t>(lane) * V; k < p.in; k += 32 * V) {
      Pack<T, V> wp;
      load_pack<T, V>(w + k, wp);
      float wf[V];
      unpack(wp, wf);
#pragma unroll
      for (int rr = 0; rr < kRowsPerPass; ++rr) {
        if (r0 + rr < p.rows) {
          Pack<T, V> xp;
          load_pack<T, V>(x + (r0 + rr) * p.in + k, xp);
          float xf[V];
          unpack(xp, xf);
#pragma unroll
          for (int e = 0; e < V; ++e) acc[rr] = fmaf(xf[e], wf[e], acc[rr]);
        }
      }
    }
#pragma unroll
    for (int rr = 0; rr < kRowsPerPass; ++rr)
#pragma unroll
      for (int s = 16; s > 0; s >>= 1) acc[rr] += __shfl_xor_sync(0xffffffffu, acc[rr], s);
    if (lane < kRowsPerPass && r0 + lane < p.rows) {
      const int64_t r = r0 + lane;
      float v = acc[0];
#pragma unroll
      for (int rr = 1; rr < kRowsPerPass; ++rr)
        if (lane == rr) v = acc[rr];
      if (bias != nullptr) v += to_f32(bias[o]);
      if (table != nullptr) {
        const float idx = p.index[r];
        const bool ok = idx >= 0.0f && idx < static_cast<float>(p.table_rows) && idx == floorf(idx);
        v = ok ? v + to_f32(table[static_cast<int64_t>(idx) * p.index_stride + o * p.feature_stride])
               : bits_f32(0x7fc00000u);  // NaN
      }
      if (p.silu) v = silu_f32<T>(v);
      out[r * p.out_features + o] = from_f32<T>(v);
    }
  }
}

template <typename T>
void launch_embed_linear(cudaStream_t stream, const EmbedLinearArgs& a) {
  constexpr int V = 16 / sizeof(T);
  const EmbedLinearParams p{a.rows, a.in_features, a.out_features, a.x, a.weight, a.bias,
                            a.table, a.index, a.table_rows, a.index_stride, a.feature_stride,
                            a.silu, a.out};
  const unsigned blocks =
      group_blocks((a.out_features + kEmbedWarps - 1) / kEmbedWarps, "embed_linear");
  if (a.in_features % V == 0 && aligned16(a.x) && aligned16(a.weight)) {
    embed_linear_kernel<T, V><<<blocks, kEmbedWarps * 32, 0, stream>>>(p);
  } else {
    embed_linear_kernel<T, 1><<<blocks, kEmbedWarps * 32, 0, stream>>>(p);
  }
  LAUNCH_CHECK();
}

}  // namespace

void embed_linear(Stream s, const EmbedLinearArgs& a) {
  if (a.rows <= 0 || a.out_features <= 0 || a.in_features <= 0) return;
  dispatch_dtype(a.dtype, [&](auto tag) {
    launch_embed_linear<typename decltype(tag)::type>(as_cuda(s), a);
  });
}

}  // namespace cuda
}  // namespace g4j
