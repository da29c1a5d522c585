// Self-attention forward on tensor cores for F16/BF16, flash-attention-2 style: a block owns kBr
// queries of one (sample, head); each warp keeps its 16 x kMT queries' Q fragments in registers
// and walks the keys in tiles of kBc streamed through a kStages-deep cp.async pipeline in shared
// memory. S = Q K^T and O += P V run on mma.sync m16n8k16 with F32 accumulation; the online
// softmax works on the S accumulator fragments in F32 (exp2 with scale * log2(e) folded in), and
// P goes back into the PV product from registers (an m16n8 accumulator pair is an m16k16 A
// fragment). No tokens x tokens matrix exists anywhere; O is normalised once at the end.
//
// Layout (see g4j_qkv_layout): every layout stores head dimension d of q, k or v as one channel
// of T consecutive tokens, consecutive dimensions `row` = T (legacy, new order) or 3T (EDM2)
// elements apart. So each of Q, K, V is read in place as a "d-major" D x T matrix, staged in
// shared memory as [d][token] rows (a 16-byte chunk is 8 consecutive tokens of one dimension):
//   Q (A of QK^T, m = token, k = d) is stored k-major: ldmatrix.x4.trans gives the A fragment;
//   K (B of QK^T, k = d, n = key) is stored k-major: ldmatrix.x4.trans gives two B fragments;
//   V (B of PV, k = key, n = d) is stored n-major: ldmatrix.x4 gives two B fragments.
// Rows are padded by 16 bytes so the 8 rows an ldmatrix reads fall in 8 different bank groups.
// The output tile goes through shared memory too (as [d][token], where Q was) so each
// dimension's kBr tokens leave as 16-byte stores into out (B, H*D, T).
//
// Tails and odd shapes: head dims are padded to DMAX (32, 64 or 128) with zero rows; tokens past
// T are zero-filled (cp.async's zero fill) and masked to -inf in S; query rows past T are
// computed on zeros and not stored. When T is a multiple of 8 and every pointer is 16-byte
// aligned, the tiles arrive by cp.async (kAsync); otherwise every element is loaded alone (the
// classifier's attention pooling has T = HW + 1), which the pipeline hides less well.
//
// A negative scale is folded into Q (negating a 16-bit float is exact), so the softmax always
// works with c = |scale| * log2(e) > 0: one FFMA and one ex2 per score, no case for the sign.
//
// EDM2's cosine attention keeps its per-head normalisation of q, k, v in g4j_normalize before
// this kernel: fused here it would round the normalised values differently from (more exactly
// than) the reference path, and the backward would need the same fusion.
#pragma once

#include <cfloat>
#include <climits>
#include <cmath>
#include <type_traits>

#include "common.cuh"
#include "mma.cuh"

namespace g4j {
namespace cuda {
namespace flash {

// The kernel's shape. DMAX: head dims padded to this; kWarps warps of kMT m16 tiles each;
// kBc keys per pipeline stage; kStages stages of K and V in flight; kMinBlocks blocks per
// multiprocessor that the register allocation must allow (__launch_bounds__); kLazy: rescale
// O only when a row maximum has grown by more than 2^8 (see key_tile).
template <int DMAX_, int kWarps_, int kMT_, int kBc_, int kStages_, int kMinBlocks_ = 1,
          bool kLazy_ = false>
struct Config {
  static constexpr int DMAX = DMAX_, kWarps = kWarps_, kMT = kMT_, kBc = kBc_,
                       kStages = kStages_, kMinBlocks = kMinBlocks_;
  static constexpr bool kLazy = kLazy_;
  static constexpr int kThreads = 32 * kWarps;
  static constexpr int kBr = 16 * kMT * kWarps;  // queries per block
  static constexpr int kQPitch = kBr + 8;        // elements per shared row: +16 bytes
  static constexpr int kKPitch = kBc + 8;
  static constexpr int kQElems = DMAX * kQPitch;
  static constexpr int kKVElems = DMAX * kKPitch;  // one of K or V, one stage
  static constexpr size_t kSmemBytes = 2 * size_t(kQElems + 2 * kStages * kKVElems);
  static_assert(DMAX % 16 == 0 && kBc % 16 == 0 && kStages >= 2, "tile shape");
};

struct Params {
  int64_t heads, head_dim, tokens, row_tiles;
  int layout;
  float c;      // |scale| * log2(e), at least FLT_MIN so masked -inf logits stay -inf
  bool negate;  // scale < 0: Q's fragments are negated
  const void* qkv;
  void* out;
  // Statistics mode (the backward's first pass) only: the gradient of out, and where each
  // query's (L, delta) goes: stats[(b * H + h) * stats_pitch + t] for t < stats_pitch, with
  // L = log2 of its softmax denominator taken at the scores' scale c (so P = exp2(c s - L), s
  // the scores of the negated Q when scale < 0) and delta = sum_d dout[d, t] out[d, t]. Rows
  // from T to stats_pitch (a multiple of 8) get finite values for zero queries and delta 0.
  const void* dout;
  float2* stats;
  int64_t stats_pitch;
};

__device__ __forceinline__ float exp2_approx(float x) {
#ifdef G4J_CUDA_EMULATION
  return std::exp2(x);
#else
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
#endif
}

// Stages tokens [s0, s0 + W) of head dimensions [0, DMAX) into dst[d * (W + 8) + j]: rows
// d >= D and tokens >= T are zero. `src` is dimension 0 at token 0; dimension d starts `row`
// elements later.
template <class Cfg, int W, bool kAsync, typename T>
__device__ __forceinline__ void load_tile(T* dst, const T* src, int64_t row, int D, int64_t T_,
                                          int64_t s0) {
  constexpr int kPerRow = W / 8;  // 16-byte chunks per row
  constexpr int kChunks = Cfg::DMAX * kPerRow;
#pragma unroll
  for (int i = 0; i < (kChunks + Cfg::kThreads - 1) / Cfg::kThreads; ++i) {
    const int chunk = threadIdx.x + i * Cfg::kThreads;
    if (kChunks % Cfg::kThreads != 0 && chunk >= kChunks) break;
    const int d = chunk / kPerRow, j = (chunk % kPerRow) * 8;
    T* to = dst + d * (W + 8) + j;
    const int64_t s = s0 + j;
    if constexpr (kAsync) {
      const bool full = d < D && s < T_;  // T is a multiple of 8: a chunk is all in or all out
      mma::cp_async_16(to, full ? src + d * row + s : src, full);
    } else {
      uint16_t e[8];
#pragma unroll
      for (int k = 0; k < 8; ++k) {
        e[k] = 0;
        if (d < D && s + k < T_) memcpy(&e[k], src + d * row + s + k, 2);
      }
      int4 bits;
      memcpy(&bits, e, 16);
      *reinterpret_cast<int4*>(to) = bits;
    }
  }
}

// Writes tile[d * pitch + j] (d < D, j < W) to dst[d * row + j] for tokens t0 + j < T, in
// 16-byte chunks when kAligned (T a multiple of 8, dst 16-byte aligned).
template <int kThreads, int W, bool kAligned, typename T>
__device__ __forceinline__ void store_tile(T* dst, int64_t row, const T* tile, int pitch, int D,
                                           int64_t T_, int64_t t0) {
  constexpr int kPerRow = W / 8;
  for (int chunk = threadIdx.x; chunk < D * kPerRow; chunk += kThreads) {
    const int d = chunk / kPerRow, j = (chunk % kPerRow) * 8;
    const T* from = tile + d * pitch + j;
    T* to = dst + d * row + j;
    if (kAligned && t0 + j + 8 <= T_) {
      *reinterpret_cast<int4*>(to) = *reinterpret_cast<const int4*>(from);
    } else {
      for (int k = 0; k < 8 && t0 + j + k < T_; ++k) to[k] = from[k];
    }
  }
}

template <typename T, class Cfg, bool kAsync, bool kStats = false>
__global__ void __launch_bounds__(Cfg::kThreads, Cfg::kMinBlocks) flash_forward_kernel(Params p) {
  constexpr int DMAX = Cfg::DMAX, kMT = Cfg::kMT, kBr = Cfg::kBr, kBc = Cfg::kBc,
                kStages = Cfg::kStages, kQP = Cfg::kQPitch, kKP = Cfg::kKPitch;
  constexpr int kDT = DMAX / 16;  // k16 steps over the head dims (QK^T)
  constexpr int kNT = kBc / 8;    // n8 tiles over the keys (S)
  constexpr int kOT = DMAX / 8;   // n8 tiles over the head dims (O)
  G4J_DYNAMIC_SMEM(T, smem);
  T* const qs = smem;                                  // [DMAX][kQP], later O^T
  T* const ks = qs + Cfg::kQElems;                     // kStages x [DMAX][kKP]
  T* const vs = ks + kStages * Cfg::kKVElems;          // kStages x [DMAX][kKP]

  const int64_t H = p.heads, T_ = p.tokens;
  const int D = static_cast<int>(p.head_dim);
  const int64_t bh = blockIdx.x / p.row_tiles;
  const int64_t t0 = (blockIdx.x - bh * p.row_tiles) * kBr;
  const int64_t b = bh / H, h = bh - b * H;
  const T* const base = static_cast<const T*>(p.qkv) + b * 3 * H * D * T_;
  const int64_t row = (p.layout == G4J_QKV_EDM2 ? 3 : 1) * T_;
  const T* const qg = base + qkv_channel(p.layout, 0, h, 0, H, D) * T_;
  const T* const kg = base + qkv_channel(p.layout, 1, h, 0, H, D) * T_;
  const T* const vg = base + qkv_channel(p.layout, 2, h, 0, H, D) * T_;
  const int ntiles = static_cast<int>((T_ + kBc - 1) / kBc);

  // Prologue: Q and the first kStages - 1 key tiles, one commit group per key tile (Q rides in
  // the first); empty groups keep the wait counts uniform when there are fewer tiles.
  load_tile<Cfg, kBr, kAsync>(qs, qg, row, D, T_, t0);
#pragma unroll
  for (int st = 0; st < kStages - 1; ++st) {
    if (st < ntiles) {
      load_tile<Cfg, kBc, kAsync>(ks + st * Cfg::kKVElems, kg, row, D, T_, int64_t(st) * kBc);
      load_tile<Cfg, kBc, kAsync>(vs + st * Cfg::kKVElems, vg, row, D, T_, int64_t(st) * kBc);
    }
    mma::cp_async_commit();
  }

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, q = lane % 4;
  const int mat = lane / 8, mrow = lane % 8;  // which 8 x 8 matrix this lane addresses, which row
  const int mw = warp * 16 * kMT;             // the warp's first query in the block
  const float c = p.c;

  // Q's A fragments, once: matrix i of an ldmatrix.x4.trans holds dims 16 kk + 8 (i / 2) ..,
  // tokens mw + 16 mt + 8 (i % 2) ..
  mma::cp_async_wait<kStages - 2>();
  __syncthreads();
  uint32_t qf[kMT][kDT][4];
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
    for (int kk = 0; kk < kDT; ++kk) {
      mma::ldmatrix_x4_trans(
          qf[mt][kk], qs + (16 * kk + 8 * (mat / 2) + mrow) * kQP + mw + 16 * mt + 8 * (mat % 2));
      if (p.negate) {
#pragma unroll
        for (int e = 0; e < 4; ++e) qf[mt][kk][e] ^= 0x80008000u;
      }
    }

  float o[kMT][kOT][4];
  float m[kMT][2], l[kMT][2];
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt) {
#pragma unroll
    for (int nt = 0; nt < kOT; ++nt) o[mt][nt][0] = o[mt][nt][1] = o[mt][nt][2] = o[mt][nt][3] = 0;
    m[mt][0] = m[mt][1] = -INFINITY;
    l[mt][0] = l[mt][1] = 0;
  }

  // One key tile: S = Q K^T, the online softmax, O += P V. kMask: the tile holds keys past T.
  // The body is one basic block (no branch but the rare lazy rescale) so the scheduler can
  // overlap one m tile's softmax with the other's matrix products.
  auto key_tile = [&](int it, auto mask) {
    constexpr bool kMask = decltype(mask)::value;
    const T* const kt = ks + (it % kStages) * Cfg::kKVElems;
    const T* const vt = vs + (it % kStages) * Cfg::kKVElems;

    // s[mt][j] covers keys 8j .. 8j + 7; matrix i of an ldmatrix.x4.trans holds dims
    // 16 kk + 8 (i % 2) .., keys 8 (j + i / 2) ..
    float s[kMT][kNT][4];
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
      for (int j = 0; j < kNT; ++j) s[mt][j][0] = s[mt][j][1] = s[mt][j][2] = s[mt][j][3] = 0;
#pragma unroll
    for (int kk = 0; kk < kDT; ++kk)
#pragma unroll
      for (int j = 0; j < kNT; j += 2) {
        uint32_t r[4];
        mma::ldmatrix_x4_trans(r, kt + (16 * kk + 8 * (mat % 2) + mrow) * kKP + 8 * (j + mat / 2));
        const uint32_t b0[2] = {r[0], r[1]}, b1[2] = {r[2], r[3]};
#pragma unroll
        for (int mt = 0; mt < kMT; ++mt) {
          mma::mma_16816<T>(s[mt][j], qf[mt][kk], b0, s[mt][j]);
          mma::mma_16816<T>(s[mt][j + 1], qf[mt][kk], b1, s[mt][j + 1]);
        }
      }
    if constexpr (kMask) {
      const int valid = static_cast<int>(T_ - int64_t(it) * kBc);  // keys of this tile below T
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
        for (int j = 0; j < kNT; ++j)
#pragma unroll
          for (int e = 0; e < 4; ++e)
            if (8 * j + 2 * q + (e & 1) >= valid) s[mt][j][e] = -INFINITY;
    }

    // Row r of m tile mt is query g (r = 0) or g + 8 (r = 1); its kBc scores sit in the 4
    // lanes of quad g, 2 per n8 tile. Every tile holds a real key, so the maxima are finite.
    float mx[kMT][2];
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt) {
      mx[mt][0] = m[mt][0];
      mx[mt][1] = m[mt][1];
#pragma unroll
      for (int j = 0; j < kNT; ++j) {
        mx[mt][0] = fmaxf(mx[mt][0], fmaxf(s[mt][j][0], s[mt][j][1]));
        mx[mt][1] = fmaxf(mx[mt][1], fmaxf(s[mt][j][2], s[mt][j][3]));
      }
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        mx[mt][r] = fmaxf(mx[mt][r], __shfl_xor_sync(0xffffffffu, mx[mt][r], 1));
        mx[mt][r] = fmaxf(mx[mt][r], __shfl_xor_sync(0xffffffffu, mx[mt][r], 2));
      }
    }
    auto rescale = [&] {  // m = the running maxima; O and l follow (m = -inf at first: corr 0)
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
        for (int r = 0; r < 2; ++r) {
          const float corr = exp2_approx((m[mt][r] - mx[mt][r]) * c);
          m[mt][r] = mx[mt][r];
          l[mt][r] *= corr;
#pragma unroll
          for (int nt = 0; nt < kOT; ++nt) {
            o[mt][nt][2 * r] *= corr;
            o[mt][nt][2 * r + 1] *= corr;
          }
        }
    };
    if constexpr (Cfg::kLazy) {
      // Any reference m works for softmax (numerator and denominator share it); a stale m only
      // lets the weights grow, to at most 2^8 while no row's maximum has passed it by more
      // than 8 in log2 units. So rescale only when one has, for the whole warp at once.
      float grow = 0;
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
        for (int r = 0; r < 2; ++r) grow = fmaxf(grow, (mx[mt][r] - m[mt][r]) * c);
      grow = fmaxf(grow, __shfl_xor_sync(0xffffffffu, grow, 4));  // quads hold equal values
      grow = fmaxf(grow, __shfl_xor_sync(0xffffffffu, grow, 8));
      grow = fmaxf(grow, __shfl_xor_sync(0xffffffffu, grow, 16));
      if (grow > 8.0f) rescale();
    } else {
      rescale();
    }
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt) {
      const float mc[2] = {m[mt][0] * c, m[mt][1] * c};
#pragma unroll
      for (int j = 0; j < kNT; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          s[mt][j][e] = exp2_approx(fmaf(s[mt][j][e], c, -mc[e / 2]));
          l[mt][e / 2] += s[mt][j][e];
        }
    }

    // O += P V: keys 16 kk .. 16 kk + 15 are the A fragment made of S tiles 2 kk and 2 kk + 1;
    // matrix i of an ldmatrix.x4 holds dims 8 (nt + i / 2) .., keys 16 kk + 8 (i % 2) ..
#pragma unroll
    for (int kk = 0; kk < kBc / 16; ++kk) {
      uint32_t a[kMT][4];
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt) {
        a[mt][0] = mma::pack2<T>(s[mt][2 * kk][0], s[mt][2 * kk][1]);
        a[mt][1] = mma::pack2<T>(s[mt][2 * kk][2], s[mt][2 * kk][3]);
        a[mt][2] = mma::pack2<T>(s[mt][2 * kk + 1][0], s[mt][2 * kk + 1][1]);
        a[mt][3] = mma::pack2<T>(s[mt][2 * kk + 1][2], s[mt][2 * kk + 1][3]);
      }
#pragma unroll
      for (int nt = 0; nt < kOT; nt += 2) {
        uint32_t r[4];
        mma::ldmatrix_x4(r, vt + (8 * (nt + mat / 2) + mrow) * kKP + 16 * kk + 8 * (mat % 2));
        const uint32_t b0[2] = {r[0], r[1]}, b1[2] = {r[2], r[3]};
#pragma unroll
        for (int mt = 0; mt < kMT; ++mt) {
          mma::mma_16816<T>(o[mt][nt], a[mt], b0, o[mt][nt]);
          mma::mma_16816<T>(o[mt][nt + 1], a[mt], b1, o[mt][nt + 1]);
        }
      }
    }
  };

  const bool ragged = T_ % kBc != 0;  // the last tile holds keys past T
  for (int it = 0; it < ntiles; ++it) {
    mma::cp_async_wait<kStages - 2>();  // tile `it` has landed for this thread...
    __syncthreads();  // ...and for all; and everyone is done with the stage refilled next
    {
      const int next = it + kStages - 1;
      if (next < ntiles) {
        const int st = next % kStages;
        load_tile<Cfg, kBc, kAsync>(ks + st * Cfg::kKVElems, kg, row, D, T_, int64_t(next) * kBc);
        load_tile<Cfg, kBc, kAsync>(vs + st * Cfg::kKVElems, vg, row, D, T_, int64_t(next) * kBc);
      }
      mma::cp_async_commit();
    }
    if (ragged && it == ntiles - 1) {
      key_tile(it, std::true_type{});
    } else {
      key_tile(it, std::false_type{});
    }
  }
  mma::cp_async_wait<0>();  // nothing may still be writing shared memory when the block ends

  if constexpr (kStats) {
    const T* const dout = static_cast<const T*>(p.dout) + bh * D * T_;
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        float sum = l[mt][r];
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        sum += __shfl_xor_sync(0xffffffffu, sum, 2);
        const float inv = 1.0f / sum;
        const int64_t t = t0 + mw + 16 * mt + g + 8 * r;
        float delta = 0;
#pragma unroll
        for (int nt = 0; nt < kOT; ++nt)
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            const int d = 8 * nt + 2 * q + e;
            if (d < D && t < T_) delta += o[mt][nt][2 * r + e] * inv * to_f32(dout[d * T_ + t]);
          }
        delta += __shfl_xor_sync(0xffffffffu, delta, 1);
        delta += __shfl_xor_sync(0xffffffffu, delta, 2);
        if (q == 0 && t < p.stats_pitch) {
          p.stats[bh * p.stats_pitch + t] = make_float2(m[mt][r] * c + log2f(sum), delta);
        }
      }
  } else {
    // O / l, transposed into the warp's own columns of the Q tile (only this warp read them).
#pragma unroll
    for (int mt = 0; mt < kMT; ++mt) {
      float inv[2];
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        float sum = l[mt][r];
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        sum += __shfl_xor_sync(0xffffffffu, sum, 2);
        inv[r] = 1.0f / sum;
      }
      const int t = mw + 16 * mt + g;
#pragma unroll
      for (int nt = 0; nt < kOT; ++nt) {
        const int d = 8 * nt + 2 * q;
        qs[d * kQP + t] = from_f32<T>(o[mt][nt][0] * inv[0]);
        qs[(d + 1) * kQP + t] = from_f32<T>(o[mt][nt][1] * inv[0]);
        qs[d * kQP + t + 8] = from_f32<T>(o[mt][nt][2] * inv[1]);
        qs[(d + 1) * kQP + t + 8] = from_f32<T>(o[mt][nt][3] * inv[1]);
      }
    }
    __syncthreads();

    // out[b, h * D + d, t0 + j]: each row's kBr tokens in 16-byte chunks.
    store_tile<Cfg::kThreads, kBr, kAsync>(static_cast<T*>(p.out) + (bh * D) * T_ + t0, T_, qs,
                                           kQP, D, T_, t0);
  }
}

// Opts a kernel into more than 48 KiB of dynamic shared memory. Per device and kernel, so
// every launch asks (a host call of about a microsecond; only the configurations for long
// sequences need it, whose kernels run far longer).
inline void allow_smem(const void* kernel, size_t bytes) {
  if (bytes > 48 * 1024) {
    CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    static_cast<int>(bytes)));
  }
}

// |scale| log2(e), kept positive so that masked -inf scores stay -inf.
inline float exp2_scale(float scale) {
  const float c = std::fabs(scale) * 1.4426950408889634f;
  return c > FLT_MIN ? c : FLT_MIN;
}

// Launches one configuration on `stream`: out = attention, or with kStats (the backward's
// first pass) the per-query statistics of Params in `stats` instead.
template <typename T, class Cfg, bool kStats = false>
void launch(cudaStream_t stream, int64_t batch, int64_t heads, int64_t head_dim, int64_t tokens,
            int layout, float scale, const void* qkv, void* out, const void* dout = nullptr,
            float2* stats = nullptr, int64_t stats_pitch = 0) {
  const int64_t row_tiles = (tokens + Cfg::kBr - 1) / Cfg::kBr;
  const int64_t blocks = batch * heads * row_tiles;
  if (blocks > INT_MAX) {
    fail(G4J_ERR_UNSUPPORTED, "attention: batch * heads * token tiles = %lld exceeds the CUDA grid",
         static_cast<long long>(blocks));
  }
  const Params p{heads, head_dim, tokens, row_tiles, layout,     exp2_scale(scale), scale < 0,
                 qkv,   out,      dout,   stats,     stats_pitch};
  const bool aligned = tokens % 8 == 0 && aligned16(qkv) && aligned16(out) && aligned16(dout);
  auto kernel = aligned ? flash_forward_kernel<T, Cfg, true, kStats>
                        : flash_forward_kernel<T, Cfg, false, kStats>;
  allow_smem(reinterpret_cast<const void*>(kernel), Cfg::kSmemBytes);
  kernel<<<static_cast<unsigned>(blocks), Cfg::kThreads, Cfg::kSmemBytes, stream>>>(p);
  LAUNCH_CHECK();
}

// Picks the configuration for the head dim and token count (attention_flash.cu); F16/BF16 only.
void forward(cudaStream_t stream, const AttentionArgs& a);

// The gradient with respect to qkv (attention_flash_backward.cu); F16/BF16 only.
void backward(cudaStream_t stream, const AttentionBackwardArgs& a);

}  // namespace flash
}  // namespace cuda
}  // namespace g4j
