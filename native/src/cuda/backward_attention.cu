// The gradient of self-attention with respect to qkv, flash-attention style (memory linear in
// tokens: a scratch of two floats per query, no tokens x tokens matrix). Three passes:
//   1. stats: the forward kernel in kStats mode stores per query L = logsumexp of its scores and
//      delta = sum_c dout[c, t] out[c, t] (= sum_s P[t, s] dP[t, s]), so that afterwards any
//      P[t, s] = exp(scale q_t . k_s - L_t) is one dot product away;
//   2. dK, dV: one row of threads per key walks all query tiles:
//        dv_s += P[t, s] dout_t,   dk_s += scale dS[t, s] q_t,
//        dS[t, s] = P[t, s] (dout_t . v_s - delta_t);
//   3. dQ: one row of threads per query walks all key tiles: dq_t += scale dS[t, s] k_s.
// Splitting dK/dV from dQ costs a second recomputation of the scores but needs no atomics, and
// every element of dqkv is written exactly once.
// This SIMT version serves F32; F16/BF16 take the tensor-core one (attention_flash_backward.cu).
#include "attention.cuh"
#include "attention_flash.cuh"

namespace g4j {
namespace cuda {
namespace {

using attn::kBc;
using attn::kPad;
using attn::kThreads;

template <typename T, int DMAX, int G>
__global__ void __launch_bounds__(kThreads) attention_dkdv_kernel(attn::Params p) {
  constexpr int kRows = kThreads / G;  // keys per block
  constexpr int kDT = DMAX / G;
  __shared__ float qs[DMAX][kPad];
  __shared__ float dos[DMAX][kPad];
  __shared__ float2 st[kBc];

  const int64_t D = p.head_dim, T_ = p.tokens, H = p.heads;
  const attn::BlockCoords bc = attn::block_coords(p, kRows);
  const int64_t b = bc.b, h = bc.h;
  const int layout = p.layout;
  const T* qkv = static_cast<const T*>(p.qkv) + b * 3 * H * D * T_;
  const T* dout = static_cast<const T*>(p.dout) + (b * H + h) * D * T_;
  const float2* stats = p.stats + bc.bh * T_;
  auto q_channel = [&](int64_t d) { return qkv_channel(layout, 0, h, d, H, D); };
  auto plain_channel = [](int64_t d) { return d; };

  const int g = threadIdx.x % G;
  const int64_t s = bc.row0 + threadIdx.x / G;  // this thread's key token
  const bool valid_k = s < T_;

  float k[kDT], v[kDT], dk[kDT], dv[kDT];
#pragma unroll
  for (int u = 0; u < kDT; ++u) {
    const int d = g + G * u;
    k[u] = v[u] = dk[u] = dv[u] = 0.0f;
    if (valid_k && d < D) {
      k[u] = to_f32(qkv[qkv_channel(layout, 1, h, d, H, D) * T_ + s]);
      v[u] = to_f32(qkv[qkv_channel(layout, 2, h, d, H, D) * T_ + s]);
    }
  }

  for (int64_t t0 = 0; t0 < T_; t0 += kBc) {
    __syncthreads();  // everyone is done with the previous tile
    attn::load_tile<T, DMAX>(qs, qkv, q_channel, D, T_, t0);
    attn::load_tile<T, DMAX>(dos, dout, plain_channel, D, T_, t0);
    for (int j = threadIdx.x; j < kBc; j += kThreads) {
      st[j] = t0 + j < T_ ? stats[t0 + j] : make_float2(0.0f, 0.0f);
    }
    __syncthreads();

#pragma unroll 4
    for (int j = 0; j < kBc; ++j) {
      float score = 0.0f, dp = 0.0f;
#pragma unroll
      for (int u = 0; u < kDT; ++u) {
        const int d = g + G * u;
        if (d < D) {
          score += k[u] * qs[d][j];
          dp += v[u] * dos[d][j];
        }
      }
      score = attn::row_sum<G>(score) * p.scale;
      dp = attn::row_sum<G>(dp);
      const bool valid_t = t0 + j < T_;  // a masked query contributes nothing
      const float pj = valid_t ? expf(score - st[j].x) : 0.0f;
      const float ds = valid_t ? pj * (dp - st[j].y) : 0.0f;
#pragma unroll
      for (int u = 0; u < kDT; ++u) {
        const int d = g + G * u;
        if (d < D) {
          dv[u] += pj * dos[d][j];
          dk[u] += ds * qs[d][j];
        }
      }
    }
  }

  if (!valid_k) return;
  T* dqkv = static_cast<T*>(p.out) + b * 3 * H * D * T_;
#pragma unroll
  for (int u = 0; u < kDT; ++u) {
    const int d = g + G * u;
    if (d < D) {
      dqkv[qkv_channel(layout, 1, h, d, H, D) * T_ + s] = from_f32<T>(p.scale * dk[u]);
      dqkv[qkv_channel(layout, 2, h, d, H, D) * T_ + s] = from_f32<T>(dv[u]);
    }
  }
}

template <typename T, int DMAX, int G>
__global__ void __launch_bounds__(kThreads) attention_dq_kernel(attn::Params p) {
  constexpr int kRows = kThreads / G;  // queries per block
  constexpr int kDT = DMAX / G;
  __shared__ float ks[DMAX][kPad];
  __shared__ float vs[DMAX][kPad];

  const int64_t D = p.head_dim, T_ = p.tokens, H = p.heads;
  const attn::BlockCoords bc = attn::block_coords(p, kRows);
  const int64_t b = bc.b, h = bc.h;
  const int layout = p.layout;
  const T* qkv = static_cast<const T*>(p.qkv) + b * 3 * H * D * T_;
  const T* dout = static_cast<const T*>(p.dout) + (b * H + h) * D * T_;
  auto k_channel = [&](int64_t d) { return qkv_channel(layout, 1, h, d, H, D); };
  auto v_channel = [&](int64_t d) { return qkv_channel(layout, 2, h, d, H, D); };

  const int g = threadIdx.x % G;
  const int64_t t = bc.row0 + threadIdx.x / G;  // this thread's query token
  const bool valid_q = t < T_;
  const float2 st = valid_q ? p.stats[bc.bh * T_ + t] : make_float2(0.0f, 0.0f);

  float q[kDT], dout_t[kDT], dq[kDT];
#pragma unroll
  for (int u = 0; u < kDT; ++u) {
    const int d = g + G * u;
    q[u] = dout_t[u] = dq[u] = 0.0f;
    if (valid_q && d < D) {
      q[u] = to_f32(qkv[qkv_channel(layout, 0, h, d, H, D) * T_ + t]);
      dout_t[u] = to_f32(dout[d * T_ + t]);
    }
  }

  for (int64_t s0 = 0; s0 < T_; s0 += kBc) {
    __syncthreads();  // everyone is done with the previous tile
    attn::load_tile<T, DMAX>(ks, qkv, k_channel, D, T_, s0);
    attn::load_tile<T, DMAX>(vs, qkv, v_channel, D, T_, s0);
    __syncthreads();

#pragma unroll 4
    for (int j = 0; j < kBc; ++j) {
      float score = 0.0f, dp = 0.0f;
#pragma unroll
      for (int u = 0; u < kDT; ++u) {
        const int d = g + G * u;
        if (d < D) {
          score += q[u] * ks[d][j];
          dp += dout_t[u] * vs[d][j];
        }
      }
      score = attn::row_sum<G>(score) * p.scale;
      dp = attn::row_sum<G>(dp);
      const float ds = s0 + j < T_ ? expf(score - st.x) * (dp - st.y) : 0.0f;
#pragma unroll
      for (int u = 0; u < kDT; ++u) {
        const int d = g + G * u;
        if (d < D) dq[u] += ds * ks[d][j];
      }
    }
  }

  if (!valid_q) return;
  T* dqkv = static_cast<T*>(p.out) + b * 3 * H * D * T_;
#pragma unroll
  for (int u = 0; u < kDT; ++u) {
    const int d = g + G * u;
    if (d < D) dqkv[qkv_channel(layout, 0, h, d, H, D) * T_ + t] = from_f32<T>(p.scale * dq[u]);
  }
}

}  // namespace

void attention_backward(Stream s, const AttentionBackwardArgs& a) {
  if (a.batch <= 0 || a.heads <= 0 || a.head_dim <= 0 || a.tokens <= 0) return;
  cudaStream_t stream = as_cuda(s);
  if (a.dtype != G4J_F32) {
    flash::backward(stream, a);
    return;
  }
  dispatch_dtype(a.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    attn::dispatch_head_dim(a.head_dim, "attention_backward", [&](auto dmax, auto lanes) {
      constexpr int DMAX = decltype(dmax)::value, G = decltype(lanes)::value;
      constexpr int kRows = kThreads / G;
      const int64_t row_tiles = (a.tokens + kRows - 1) / kRows;
      const unsigned blocks =
          attn::attention_blocks(a.batch, a.heads, row_tiles, "attention_backward");
      Scratch stats(stream, static_cast<size_t>(a.batch * a.heads * a.tokens) * sizeof(float2));
      const attn::Params p{a.heads, a.head_dim, a.tokens, row_tiles,           a.layout,
                           a.scale, a.qkv,      a.dout,   a.dqkv, stats.as<float2>()};
      attn::attention_forward_kernel<T, DMAX, G, attn::Mode::kStats>
          <<<blocks, kThreads, 0, stream>>>(p);
      LAUNCH_CHECK();
      attention_dkdv_kernel<T, DMAX, G><<<blocks, kThreads, 0, stream>>>(p);
      LAUNCH_CHECK();
      attention_dq_kernel<T, DMAX, G><<<blocks, kThreads, 0, stream>>>(p);
      LAUNCH_CHECK();
    });
  });
}

}  // namespace cuda
}  // namespace g4j
