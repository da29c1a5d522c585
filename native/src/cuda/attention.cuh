// Self-attention kernels on the SIMT cores, flash-attention style: memory linear in tokens, F32
// softmax. They serve F32 (exact F32 arithmetic); F16/BF16 run on tensor cores
// (attention_flash.cuh).
//
// Work split shared by every kernel: a block owns kThreads / G "rows" (queries, or keys in the
// backward dK/dV kernel) of one (sample, head) and walks the other side in tiles of kBc tokens
// staged in shared memory as F32. G consecutive threads (4 for head_dim <= 64, 8 up to 128, so
// each thread owns 16 dimensions and nothing spills) share one row: thread g of the G owns the
// head dimensions d = g, g + G, g + 2G, ... A dot product over the head is the G partial sums
// combined by butterfly shuffles, which leaves the same value in all G lanes.
//
// Layout: qkv is channel-major, channel qkv_channel(layout, which, h, d) holding T consecutive
// tokens (and out/dout channel h * D + d), so a tile load reads kBc consecutive tokens of one
// channel per warp (coalesced).
#pragma once

#include <climits>
#include <type_traits>

#include "common.cuh"

namespace g4j {
namespace cuda {
namespace attn {

constexpr int kThreads = 256;
constexpr int kBc = 32;        // tokens per staged tile
constexpr int kPad = kBc + 1;  // row pitch: the G lanes of a row read G different banks

struct Params {
  int64_t heads, head_dim, tokens, row_tiles;
  int layout;
  float scale;
  const void* qkv;
  const void* dout;  // backward only
  void* out;         // forward: out; backward: dqkv
  float2* stats;     // backward: per (sample, head, query) (logsumexp, rowsum(dO * O))
};

// Which (sample, head) and which tile of rows this block owns.
struct BlockCoords {
  int64_t b, h, bh, row0;
};

__device__ __forceinline__ BlockCoords block_coords(const Params& p, int rows_per_block) {
  BlockCoords c;
  c.bh = blockIdx.x / p.row_tiles;
  const int64_t tile = blockIdx.x - c.bh * p.row_tiles;
  c.b = c.bh / p.heads;
  c.h = c.bh - c.b * p.heads;
  c.row0 = tile * rows_per_block;
  return c;
}

// Sum over the G lanes of a row (all lanes of the warp must call it).
template <int G>
__device__ __forceinline__ float row_sum(float v) {
#pragma unroll
  for (int o = 1; o < G; o <<= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Stages tokens [s0, s0 + kBc) of head dimensions [0, D) of one channel family into tile[d][j]
// as F32, 0 past the last token. channel(d) gives the channel of dimension d in `base`.
template <typename T, int DMAX, class Channel>
__device__ __forceinline__ void load_tile(float (&tile)[DMAX][kPad], const T* base,
                                          Channel channel, int64_t D, int64_t T_, int64_t s0) {
  for (int idx = threadIdx.x; idx < D * kBc; idx += kThreads) {
    const int d = idx / kBc, j = idx % kBc;
    const int64_t s = s0 + j;
    tile[d][j] = s < T_ ? to_f32(base[channel(d) * T_ + s]) : 0.0f;
  }
}

enum class Mode { kForward, kStats };

// The forward pass. kForward writes out = softmax(scale q^T k) v; kStats (for the backward)
// writes, per query, the logsumexp L of its scores and delta = sum_c dout[c] out[c] instead.
//
// Per query the scores of a key tile live in registers; an online softmax (running max m and
// running sum l) rescales the output accumulator whenever the max grows, so no tokens x tokens
// matrix ever exists.
template <typename T, int DMAX, int G, Mode M>
__global__ void __launch_bounds__(kThreads) attention_forward_kernel(Params p) {
  constexpr int kRows = kThreads / G;  // queries per block
  constexpr int kDT = DMAX / G;        // head dimensions per thread
  static_assert(32 % G == 0 && DMAX % G == 0, "a row's lanes must share one warp");
  __shared__ float ks[DMAX][kPad];
  __shared__ float vs[DMAX][kPad];

  const int64_t D = p.head_dim, T_ = p.tokens, H = p.heads;
  const BlockCoords bc = block_coords(p, kRows);
  const int64_t b = bc.b, h = bc.h;
  const T* qkv = static_cast<const T*>(p.qkv) + b * 3 * H * D * T_;
  const int layout = p.layout;
  auto k_channel = [&](int64_t d) { return qkv_channel(layout, 1, h, d, H, D); };
  auto v_channel = [&](int64_t d) { return qkv_channel(layout, 2, h, d, H, D); };

  const int g = threadIdx.x % G;
  const int64_t t = bc.row0 + threadIdx.x / G;  // this thread's query token
  const bool valid_q = t < T_;

  float q[kDT], acc[kDT];
#pragma unroll
  for (int u = 0; u < kDT; ++u) {
    const int d = g + G * u;
    q[u] = 0.0f;
    acc[u] = 0.0f;
    if (valid_q && d < D) q[u] = p.scale * to_f32(qkv[qkv_channel(layout, 0, h, d, H, D) * T_ + t]);
  }
  float m = -INFINITY, l = 0.0f;

  for (int64_t s0 = 0; s0 < T_; s0 += kBc) {
    __syncthreads();  // everyone is done with the previous tile
    load_tile<T, DMAX>(ks, qkv, k_channel, D, T_, s0);
    load_tile<T, DMAX>(vs, qkv, v_channel, D, T_, s0);
    __syncthreads();

    float sc[kBc];
    float tile_max = -INFINITY;
#pragma unroll
    for (int j = 0; j < kBc; ++j) {
      float part = 0.0f;
#pragma unroll
      for (int u = 0; u < kDT; ++u) {
        const int d = g + G * u;
        if (d < D) part += q[u] * ks[d][j];
      }
      part = row_sum<G>(part);
      sc[j] = s0 + j < T_ ? part : -INFINITY;
      tile_max = fmaxf(tile_max, sc[j]);
    }

    // Every tile holds at least one real key, so m_new is finite and exp(-inf) = 0 handles the
    // first tile (m = -inf) and the masked keys alike.
    const float m_new = fmaxf(m, tile_max);
    const float corr = expf(m - m_new);
    l *= corr;
#pragma unroll
    for (int u = 0; u < kDT; ++u) acc[u] *= corr;
#pragma unroll
    for (int j = 0; j < kBc; ++j) {
      const float pj = expf(sc[j] - m_new);
      l += pj;
#pragma unroll
      for (int u = 0; u < kDT; ++u) {
        const int d = g + G * u;
        if (d < D) acc[u] += pj * vs[d][j];
      }
    }
    m = m_new;
  }

  const float inv_l = 1.0f / l;
  if constexpr (M == Mode::kForward) {
    if (!valid_q) return;
    T* out = static_cast<T*>(p.out) + (b * H + h) * D * T_;
#pragma unroll
    for (int u = 0; u < kDT; ++u) {
      const int d = g + G * u;
      if (d < D) out[d * T_ + t] = from_f32<T>(acc[u] * inv_l);
    }
  } else {
    const T* dout = static_cast<const T*>(p.dout) + (b * H + h) * D * T_;
    float delta = 0.0f;
#pragma unroll
    for (int u = 0; u < kDT; ++u) {
      const int d = g + G * u;
      if (valid_q && d < D) delta += to_f32(dout[d * T_ + t]) * (acc[u] * inv_l);
    }
    delta = row_sum<G>(delta);  // every lane takes part, valid or not
    if (valid_q && g == 0) p.stats[bc.bh * T_ + t] = make_float2(m + logf(l), delta);
  }
}

// Blocks for batch * heads * ceil(tokens / rows_per_block), checked against the grid limit.
inline unsigned attention_blocks(int64_t batch, int64_t heads, int64_t row_tiles, const char* op) {
  const int64_t blocks = batch * heads * row_tiles;
  if (blocks > INT_MAX) {
    fail(G4J_ERR_UNSUPPORTED, "%s: batch * heads * token tiles = %lld exceeds the CUDA grid", op,
         static_cast<long long>(blocks));
  }
  return static_cast<unsigned>(blocks);
}

// Calls f(DMAX, G) with std::integral_constant arguments: the kernel shape for head_dim.
template <class F>
void dispatch_head_dim(int64_t head_dim, const char* op, F&& f) {
  if (head_dim <= 64) {
    f(std::integral_constant<int, 64>{}, std::integral_constant<int, 4>{});
  } else if (head_dim <= 128) {
    f(std::integral_constant<int, 128>{}, std::integral_constant<int, 8>{});
  } else {
    fail(G4J_ERR_UNSUPPORTED, "%s: head_dim %lld > 128 is not supported on CUDA", op,
         static_cast<long long>(head_dim));
  }
}

}  // namespace attn
}  // namespace cuda
}  // namespace g4j
