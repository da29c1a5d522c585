// The gradient of self-attention with respect to qkv on tensor cores, F16/BF16, in the manner of
// flash-attention 2's backward: memory linear in tokens, every product on mma.sync m16n8k16
// with F32 accumulation. Three passes, as the SIMT version (backward_attention.cu) does them:
//   1. stats: the forward kernel in statistics mode stores per query L = log2 of its softmax
//      denominator at the exp2 scale c, and delta = sum_d dout[d, t] out[d, t], so that
//      P[t, s] = exp2(c s'[t, s] - L[t]) (s' the scores of the sign-folded Q, see
//      attention_flash.cuh) is one product away;
//   2. dK, dV: a block owns 16 keys per warp and streams query tiles (Q, dout, stats):
//        S^T = K Q^T, P^T, dP^T = V dout^T, dS^T = P^T (dP^T - delta),
//        dV += P^T dout,  dK += dS^T Q;
//   3. dQ: a block owns 16 queries per warp and streams key tiles (K, V):
//        S = Q K^T, P, dP = dout V^T, dS = P (dP - delta),  dQ += dS K.
// dK and dQ take the scale at the end. No atomics: every element of dqkv is written once.
//
// Operand forms (shared memory holds every tile as [d][token] rows, as in the forward):
//   A operands indexed (token, d) — K, V in pass 2, Q, dout in pass 3 — come by
//   ldmatrix.x4.trans from their own tile's columns, re-read at each use (registers go to the
//   accumulators);
//   B operands indexed (d, token) — Q^T, dout^T in pass 2, K^T, V^T in pass 3 — by
//   ldmatrix.x4.trans; B operands indexed (token, d) — dout, Q in pass 2, K in pass 3 — by
//   ldmatrix.x4; P^T, dS^T, dS go from accumulators to A fragments in registers.
// Rounded to the storage type, as flash-attention does: P and dS (the A operands of dV, dK, dQ).
// Queries past T: zero Q and dout rows and finite statistics contribute nothing. Keys past T:
// their own rows of dK, dV are not stored (pass 2); masked to P = 0 in pass 3.
#include "attention_flash.cuh"

namespace g4j {
namespace cuda {
namespace flash {
namespace {

// kWarps warps of 16 rows (keys in pass 2, queries in pass 3); the other side streams in tiles
// of kBn tokens through kStages stages.
template <int DMAX_, int kWarps_, int kBn_, int kStages_>
struct BwdConfig {
  static constexpr int DMAX = DMAX_, kWarps = kWarps_, kBn = kBn_, kStages = kStages_;
  static constexpr int kThreads = 32 * kWarps;
  static constexpr int kBm = 16 * kWarps;  // the block's own rows
  static constexpr int kMPitch = kBm + 8, kNPitch = kBn + 8;
  static constexpr int kOwnElems = DMAX * kMPitch;   // one own tile ([d][row])
  static constexpr int kTileElems = DMAX * kNPitch;  // one streamed tile, one stage
  // two own tiles, two streamed tiles per stage, and (pass 2) the streamed queries' statistics
  static constexpr size_t kSmemBytes =
      2 * size_t(2 * kOwnElems + 2 * kStages * kTileElems) + 8 * size_t(kStages * kBn);
  static_assert(DMAX % 16 == 0 && kBn % 16 == 0 && kStages >= 2, "tile shape");
  static_assert((2 * (2 * kOwnElems + 2 * kStages * kTileElems)) % 16 == 0, "stats alignment");
};

struct BwdParams {
  int64_t heads, head_dim, tokens, row_tiles;
  int layout;
  float c;      // exp2_scale(scale)
  bool negate;  // scale < 0: the scores are those of -Q (attention_flash.cuh)
  float scale;
  const void* qkv;
  const void* dout;
  const float2* stats;  // (L, delta) per query, stats_pitch per (sample, head)
  int64_t stats_pitch;
  void* dqkv;
};

struct Head {
  int64_t bh, b, h, row0;
};

template <int kRows>
__device__ __forceinline__ Head head_of(const BwdParams& p) {
  Head x;
  x.bh = blockIdx.x / p.row_tiles;
  x.row0 = (blockIdx.x - x.bh * p.row_tiles) * kRows;
  x.b = x.bh / p.heads;
  x.h = x.bh - x.b * p.heads;
  return x;
}

// The A fragment (rows = tokens mw .. mw + 15 of `tile`, k = dims 16 kk ..) of a [d][token] tile.
template <typename T>
__device__ __forceinline__ void a_fragment(uint32_t (&f)[4], const T* tile, int pitch, int mw,
                                           int kk, bool negate) {
  const int lane = threadIdx.x % 32, mat = lane / 8, mrow = lane % 8;
  mma::ldmatrix_x4_trans(f, tile + (16 * kk + 8 * (mat / 2) + mrow) * pitch + mw + 8 * (mat % 2));
  if (negate) {
#pragma unroll
    for (int e = 0; e < 4; ++e) f[e] ^= 0x80008000u;
  }
}

// acc[j] += A(kk) B for the n8 tiles j of kN tokens, B (k = d, n = token) read from a
// [d][token] tile by ldmatrix.x4.trans, A from `a_tile` (see a_fragment).
template <int kDT, int kNT, typename T>
__device__ __forceinline__ void product_over_d(float (&acc)[kNT][4], const T* a_tile, int a_pitch,
                                               int mw, bool negate, const T* b_tile, int b_pitch) {
  const int lane = threadIdx.x % 32, mat = lane / 8, mrow = lane % 8;
#pragma unroll
  for (int kk = 0; kk < kDT; ++kk) {
    uint32_t a[4];
    a_fragment(a, a_tile, a_pitch, mw, kk, negate);
#pragma unroll
    for (int j = 0; j < kNT; j += 2) {
      uint32_t r[4];
      mma::ldmatrix_x4_trans(r, b_tile + (16 * kk + 8 * (mat % 2) + mrow) * b_pitch + 8 * (j + mat / 2));
      const uint32_t b0[2] = {r[0], r[1]}, b1[2] = {r[2], r[3]};
      mma::mma_16816<T>(acc[j], a, b0, acc[j]);
      mma::mma_16816<T>(acc[j + 1], a, b1, acc[j + 1]);
    }
  }
}

// acc[nt] += W B over kN tokens: W (rows x tokens) from accumulator fragments w[kNT][4],
// B (k = token, n = d) read from a [d][token] tile by ldmatrix.x4.
template <int kNT, int kOT, typename T>
__device__ __forceinline__ void product_over_tokens(float (&acc)[kOT][4], const float (&w)[kNT][4],
                                                    const T* b_tile, int b_pitch) {
  const int lane = threadIdx.x % 32, mat = lane / 8, mrow = lane % 8;
#pragma unroll
  for (int kk = 0; kk < kNT / 2; ++kk) {
    const uint32_t a[4] = {mma::pack2<T>(w[2 * kk][0], w[2 * kk][1]),
                           mma::pack2<T>(w[2 * kk][2], w[2 * kk][3]),
                           mma::pack2<T>(w[2 * kk + 1][0], w[2 * kk + 1][1]),
                           mma::pack2<T>(w[2 * kk + 1][2], w[2 * kk + 1][3])};
#pragma unroll
    for (int nt = 0; nt < kOT; nt += 2) {
      uint32_t r[4];
      mma::ldmatrix_x4(r, b_tile + (8 * (nt + mat / 2) + mrow) * b_pitch + 16 * kk + 8 * (mat % 2));
      const uint32_t b0[2] = {r[0], r[1]}, b1[2] = {r[2], r[3]};
      mma::mma_16816<T>(acc[nt], a, b0, acc[nt]);
      mma::mma_16816<T>(acc[nt + 1], a, b1, acc[nt + 1]);
    }
  }
}

// Scales the accumulator fragments (rows mw .., dims 0 .. DMAX) by `factor` and writes them
// transposed into the warp's own columns of a [d][row] tile.
template <int kOT, typename T>
__device__ __forceinline__ void stage_transposed(T* tile, int pitch, int mw,
                                                 const float (&acc)[kOT][4], float factor) {
  const int lane = threadIdx.x % 32, g = lane / 4, q = lane % 4;
#pragma unroll
  for (int nt = 0; nt < kOT; ++nt) {
    const int d = 8 * nt + 2 * q, t = mw + g;
    tile[d * pitch + t] = from_f32<T>(acc[nt][0] * factor);
    tile[(d + 1) * pitch + t] = from_f32<T>(acc[nt][1] * factor);
    tile[d * pitch + t + 8] = from_f32<T>(acc[nt][2] * factor);
    tile[(d + 1) * pitch + t + 8] = from_f32<T>(acc[nt][3] * factor);
  }
}

template <int kNT>
__device__ __forceinline__ void zero(float (&acc)[kNT][4]) {
#pragma unroll
  for (int j = 0; j < kNT; ++j) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0;
}

// Pass 2: dK and dV of kBm keys.
template <typename T, class Cfg, bool kAsync>
__global__ void __launch_bounds__(Cfg::kThreads) flash_dkdv_kernel(BwdParams p) {
  constexpr int DMAX = Cfg::DMAX, kBm = Cfg::kBm, kBn = Cfg::kBn, kStages = Cfg::kStages;
  constexpr int kMP = Cfg::kMPitch, kNP = Cfg::kNPitch;
  constexpr int kDT = DMAX / 16, kNT = kBn / 8, kOT = DMAX / 8;
  using Loads = Config<DMAX, Cfg::kWarps, 1, kBn, kStages>;  // load_tile's thread count
  G4J_DYNAMIC_SMEM(T, smem);
  T* const ks = smem;                   // own keys [d][key], later dK^T
  T* const vs = ks + Cfg::kOwnElems;    // own values, later dV^T
  T* const qs = vs + Cfg::kOwnElems;    // kStages x [d][query]
  T* const dos = qs + kStages * Cfg::kTileElems;
  float2* const sts = reinterpret_cast<float2*>(dos + kStages * Cfg::kTileElems);  // kStages x kBn

  const int64_t H = p.heads, T_ = p.tokens;
  const int D = static_cast<int>(p.head_dim);
  const Head hd = head_of<kBm>(p);
  const int64_t s0 = hd.row0;
  const T* const base = static_cast<const T*>(p.qkv) + hd.b * 3 * H * D * T_;
  const int64_t row = (p.layout == G4J_QKV_EDM2 ? 3 : 1) * T_;
  const T* const qg = base + qkv_channel(p.layout, 0, hd.h, 0, H, D) * T_;
  const T* const kg = base + qkv_channel(p.layout, 1, hd.h, 0, H, D) * T_;
  const T* const vg = base + qkv_channel(p.layout, 2, hd.h, 0, H, D) * T_;
  const T* const dog = static_cast<const T*>(p.dout) + hd.bh * D * T_;
  const float2* const stg = p.stats + hd.bh * p.stats_pitch;
  const int ntiles = static_cast<int>((T_ + kBn - 1) / kBn);

  // Statistics of queries t0 .. t0 + kBn (the pitch is a multiple of 8: whole 16-byte pairs).
  auto load_stats = [&](float2* to, int64_t t0) {
    for (int i = threadIdx.x; i < kBn / 2; i += Cfg::kThreads) {
      const bool full = t0 + 2 * i < p.stats_pitch;
      mma::cp_async_16(to + 2 * i, full ? stg + t0 + 2 * i : stg, full);
    }
  };
  auto load_stage = [&](int st, int it) {
    const int64_t t0 = int64_t(it) * kBn;
    load_tile<Loads, kBn, kAsync>(qs + st * Cfg::kTileElems, qg, row, D, T_, t0);
    load_tile<Loads, kBn, kAsync>(dos + st * Cfg::kTileElems, dog, T_, D, T_, t0);
    load_stats(sts + st * kBn, t0);
  };
  load_tile<Loads, kBm, kAsync>(ks, kg, row, D, T_, s0);
  load_tile<Loads, kBm, kAsync>(vs, vg, row, D, T_, s0);
#pragma unroll
  for (int st = 0; st < kStages - 1; ++st) {
    if (st < ntiles) load_stage(st, st);
    mma::cp_async_commit();
  }

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, q = lane % 4;
  const int mw = warp * 16;
  const float c = p.c;
  float dk[kOT][4], dv[kOT][4];
  zero(dk);
  zero(dv);

  for (int it = 0; it < ntiles; ++it) {
    mma::cp_async_wait<kStages - 2>();
    __syncthreads();
    {
      const int next = it + kStages - 1;
      if (next < ntiles) load_stage(next % kStages, next);
      mma::cp_async_commit();
    }
    const T* const qt = qs + (it % kStages) * Cfg::kTileElems;
    const T* const dot = dos + (it % kStages) * Cfg::kTileElems;
    const float2* const stt = sts + (it % kStages) * kBn;

    float s[kNT][4], dp[kNT][4];  // S^T and dP^T: rows = own keys, columns = queries
    zero(s);
    zero(dp);
    product_over_d<kDT, kNT>(s, ks, kMP, mw, p.negate, qt, kNP);
    product_over_d<kDT, kNT>(dp, vs, kMP, mw, false, dot, kNP);
#pragma unroll
    for (int j = 0; j < kNT; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const float2 st = stt[8 * j + 2 * q + (e & 1)];  // the column's query
        const float pr = exp2_approx(fmaf(s[j][e], c, -st.x));
        s[j][e] = pr;
        dp[j][e] = pr * (dp[j][e] - st.y);
      }
    product_over_tokens<kNT, kOT>(dv, s, dot, kNP);
    product_over_tokens<kNT, kOT>(dk, dp, qt, kNP);
  }
  mma::cp_async_wait<0>();

  // dK = scale dS^T Q, dV = P^T dout: through the own tiles (each warp its own columns).
  stage_transposed(ks, kMP, mw, dk, p.scale);
  stage_transposed(vs, kMP, mw, dv, 1.0f);
  __syncthreads();
  T* const dbase = static_cast<T*>(p.dqkv) + hd.b * 3 * H * D * T_;
  store_tile<Cfg::kThreads, kBm, kAsync>(dbase + qkv_channel(p.layout, 1, hd.h, 0, H, D) * T_ + s0,
                                         row, ks, kMP, D, T_, s0);
  store_tile<Cfg::kThreads, kBm, kAsync>(dbase + qkv_channel(p.layout, 2, hd.h, 0, H, D) * T_ + s0,
                                         row, vs, kMP, D, T_, s0);
}

// Pass 3: dQ of kBm queries.
template <typename T, class Cfg, bool kAsync>
__global__ void __launch_bounds__(Cfg::kThreads) flash_dq_kernel(BwdParams p) {
  constexpr int DMAX = Cfg::DMAX, kBm = Cfg::kBm, kBn = Cfg::kBn, kStages = Cfg::kStages;
  constexpr int kMP = Cfg::kMPitch, kNP = Cfg::kNPitch;
  constexpr int kDT = DMAX / 16, kNT = kBn / 8, kOT = DMAX / 8;
  using Loads = Config<DMAX, Cfg::kWarps, 1, kBn, kStages>;
  G4J_DYNAMIC_SMEM(T, smem);
  T* const qs = smem;                   // own queries [d][query], later dQ^T
  T* const dos = qs + Cfg::kOwnElems;   // own dout
  T* const ks = dos + Cfg::kOwnElems;   // kStages x [d][key]
  T* const vs = ks + kStages * Cfg::kTileElems;

  const int64_t H = p.heads, T_ = p.tokens;
  const int D = static_cast<int>(p.head_dim);
  const Head hd = head_of<kBm>(p);
  const int64_t t0 = hd.row0;
  const T* const base = static_cast<const T*>(p.qkv) + hd.b * 3 * H * D * T_;
  const int64_t row = (p.layout == G4J_QKV_EDM2 ? 3 : 1) * T_;
  const T* const qg = base + qkv_channel(p.layout, 0, hd.h, 0, H, D) * T_;
  const T* const kg = base + qkv_channel(p.layout, 1, hd.h, 0, H, D) * T_;
  const T* const vg = base + qkv_channel(p.layout, 2, hd.h, 0, H, D) * T_;
  const T* const dog = static_cast<const T*>(p.dout) + hd.bh * D * T_;
  const int ntiles = static_cast<int>((T_ + kBn - 1) / kBn);

  auto load_stage = [&](int st, int it) {
    load_tile<Loads, kBn, kAsync>(ks + st * Cfg::kTileElems, kg, row, D, T_, int64_t(it) * kBn);
    load_tile<Loads, kBn, kAsync>(vs + st * Cfg::kTileElems, vg, row, D, T_, int64_t(it) * kBn);
  };
  load_tile<Loads, kBm, kAsync>(qs, qg, row, D, T_, t0);
  load_tile<Loads, kBm, kAsync>(dos, dog, T_, D, T_, t0);
#pragma unroll
  for (int st = 0; st < kStages - 1; ++st) {
    if (st < ntiles) load_stage(st, st);
    mma::cp_async_commit();
  }

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, q = lane % 4;
  const int mw = warp * 16;
  const float c = p.c;
  float2 st[2];  // rows g and g + 8: (L, delta); queries past T get zeros (never stored)
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int64_t t = t0 + mw + g + 8 * r;
    st[r] = t < T_ ? p.stats[hd.bh * p.stats_pitch + t] : make_float2(0.0f, 0.0f);
  }
  float dq[kOT][4];
  zero(dq);

  for (int it = 0; it < ntiles; ++it) {
    mma::cp_async_wait<kStages - 2>();
    __syncthreads();
    {
      const int next = it + kStages - 1;
      if (next < ntiles) load_stage(next % kStages, next);
      mma::cp_async_commit();
    }
    const T* const kt = ks + (it % kStages) * Cfg::kTileElems;
    const T* const vt = vs + (it % kStages) * Cfg::kTileElems;

    float s[kNT][4], dp[kNT][4];  // rows = own queries, columns = keys
    zero(s);
    zero(dp);
    product_over_d<kDT, kNT>(s, qs, kMP, mw, p.negate, kt, kNP);
    product_over_d<kDT, kNT>(dp, dos, kMP, mw, false, vt, kNP);
    const int valid = static_cast<int>(T_ - int64_t(it) * kBn);  // keys of this tile below T
#pragma unroll
    for (int j = 0; j < kNT; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const float2 x = st[e / 2];
        const float pr =
            8 * j + 2 * q + (e & 1) < valid ? exp2_approx(fmaf(s[j][e], c, -x.x)) : 0.0f;
        s[j][e] = pr * (dp[j][e] - x.y);  // dS
      }
    product_over_tokens<kNT, kOT>(dq, s, kt, kNP);
  }
  mma::cp_async_wait<0>();

  stage_transposed(qs, kMP, mw, dq, p.scale);
  __syncthreads();
  T* const dbase = static_cast<T*>(p.dqkv) + hd.b * 3 * H * D * T_;
  store_tile<Cfg::kThreads, kBm, kAsync>(dbase + qkv_channel(p.layout, 0, hd.h, 0, H, D) * T_ + t0,
                                         row, qs, kMP, D, T_, t0);
}

template <typename T, class Cfg>
void backward_config(cudaStream_t stream, const AttentionBackwardArgs& a, const float2* stats,
                     int64_t stats_pitch) {
  const int64_t row_tiles = (a.tokens + Cfg::kBm - 1) / Cfg::kBm;
  const int64_t blocks = a.batch * a.heads * row_tiles;
  if (blocks > INT_MAX) {
    fail(G4J_ERR_UNSUPPORTED,
         "attention_backward: batch * heads * token tiles = %lld exceeds the CUDA grid",
         static_cast<long long>(blocks));
  }
  const BwdParams p{a.heads, a.head_dim, a.tokens, row_tiles, a.layout, exp2_scale(a.scale),
                    a.scale < 0, a.scale, a.qkv, a.dout, stats, stats_pitch, a.dqkv};
  const bool aligned =
      a.tokens % 8 == 0 && aligned16(a.qkv) && aligned16(a.dout) && aligned16(a.dqkv);
  auto dkdv = aligned ? flash_dkdv_kernel<T, Cfg, true> : flash_dkdv_kernel<T, Cfg, false>;
  allow_smem(reinterpret_cast<const void*>(dkdv), Cfg::kSmemBytes);
  dkdv<<<static_cast<unsigned>(blocks), Cfg::kThreads, Cfg::kSmemBytes, stream>>>(p);
  LAUNCH_CHECK();
  auto dq = aligned ? flash_dq_kernel<T, Cfg, true> : flash_dq_kernel<T, Cfg, false>;
  allow_smem(reinterpret_cast<const void*>(dq), Cfg::kSmemBytes);
  dq<<<static_cast<unsigned>(blocks), Cfg::kThreads, Cfg::kSmemBytes, stream>>>(p);
  LAUNCH_CHECK();
}

template <typename T>
void backward_typed(cudaStream_t stream, const AttentionBackwardArgs& a) {
  // (L, delta) per query; rows padded to a multiple of 8 so pass 2 stages them in 16-byte pairs.
  const int64_t pitch = (a.tokens + 7) / 8 * 8;
  Scratch stats(stream, static_cast<size_t>(a.batch * a.heads * pitch) * sizeof(float2));
  float2* const st = stats.as<float2>();
  auto run = [&](auto fwd, auto bwd) {
    launch<T, decltype(fwd), true>(stream, a.batch, a.heads, a.head_dim, a.tokens, a.layout,
                                   a.scale, a.qkv, nullptr, a.dout, st, pitch);
    backward_config<T, decltype(bwd)>(stream, a, st, pitch);
  };
  if (a.head_dim <= 32) {
    run(Config<32, 4, 1, 64, 2>{}, BwdConfig<32, 4, 64, 2>{});
  } else if (a.head_dim <= 64) {
    run(Config<64, 4, 1, 64, 2>{}, BwdConfig<64, 4, 64, 2>{});
  } else if (a.head_dim <= 128) {
    run(Config<128, 4, 1, 64, 2>{}, BwdConfig<128, 4, 64, 2>{});
  } else {
    fail(G4J_ERR_UNSUPPORTED, "attention_backward: head_dim %lld > 128 is not supported on CUDA",
         static_cast<long long>(a.head_dim));
  }
}

}  // namespace

void backward(cudaStream_t stream, const AttentionBackwardArgs& a) {
  if (a.dtype == G4J_F16) {
    backward_typed<__half>(stream, a);
  } else if (a.dtype == G4J_BF16) {
    backward_typed<__nv_bfloat16>(stream, a);
  } else {
    fail(G4J_ERR_INTERNAL, "flash attention backward: dtype %d is not F16/BF16", a.dtype);
  }
}

}  // namespace flash
}  // namespace cuda
}  // namespace g4j
