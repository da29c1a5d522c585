// Tensor-core implicit-GEMM convolution for F16/BF16 on NCHW tensors (mma.sync m16n8k16, F32
// accumulation): out (Cout x pixels) = W (Cout x taps*Cin) . patches, for 1x1 and 3x3 kernels,
// any stride and padding, any sizes; bias and residual fused into the epilogue (mma_out.cuh).
//
// The problem with NCHW. A 3x3 tap reads its input rows shifted by one element, so 16-byte copies
// from global memory are misaligned for two of the three column taps, and ldmatrix needs 16-byte
// aligned rows as well. So the input is not read per tap at all. For each 16-channel slice a block
// stages the halo of its output tile once: (tile rows - 1) * stride + k rows by (tile columns - 1)
// * stride + k columns, per image of the tile, and all k * k taps read it.
//   1. raw: the halo's rows, whole aligned 8-column chunks of each channel plane, copied with
//      16-byte cp.async (zero-filled outside the image: that is the padding);
//   2. transposed in shared memory to channels-last, halo[pixel][16 channels], by ldmatrix.trans
//      (an 8 x 8 block of channels x pixels comes back as one register per lane holding two
//      channels of one pixel) and 32-bit stores;
//   3. each tap is then an ordinary k16 mma step: the B fragment for 8 output pixels is one
//      ldmatrix over 8 pixel rows of the halo, each 16-byte aligned whatever the tap's shift, at
//      a per-tap offset that is the same for every lane.
// Weights are pre-arranged once per call into wt[co][tap][ci] (ci padded to 16, zeros beyond Cin;
// conv_weights kernel in igemm_mma.cu) so the A slice of every tap is a contiguous 32-byte run.
// Whole rows of the NCHW output are written in place by the epilogue: no layout change leaves this
// kernel, which is why every other op can stay NCHW.
//
// Tile: 64 output channels x 256 output pixels (ti images x tr rows x tc columns), 4 warps of
// 64 x 64 as in gemm_mma.cuh. One main-loop step is one 16-channel slice for all k * k taps: 9
// k16 steps (288 mma per warp) for 3x3, so a double buffer already hides the copies' latency
// (the next slice is in flight for a whole step); a deeper cp.async pipeline would only spend
// shared memory that keeps two blocks per SM resident. Per step: wait, barrier, transpose,
// barrier, issue the next slice's copies, mma.
#pragma once

#include "mma.cuh"
#include "mma_out.cuh"

namespace g4j {
namespace cuda {
namespace halo_conv {

constexpr int kBM = 64;          // output channels per block
constexpr int kBN = 256;         // output pixels per block
constexpr int kBC = 16;          // input channels per main-loop step
constexpr int kThreads = 128;    // 4 warps, each 64 channels x 64 pixels
constexpr int kPitch = kBC + 8;  // halo pixel pitch in elements: 48 bytes, so the 8 pixel rows
                                 // of an ldmatrix (stride 1) hit distinct bank groups

// One 8-column chunk of one halo row, the same for every channel and every step.
struct Unit {
  long long gx;  // x offset of its first column in channel 0, or -1: wholly outside the input
  int hpix;      // halo pixel of its first column (may lie before the halo row: see hcol)
  int hcol;      // halo column of its first column; columns outside [0, hc) are not stored
};

struct Params {
  int batch, cin, height, width, cout, out_h, out_w, stride, pad;
  int cin_pad, steps, steps_per_split;  // cin_pad = steps * kBC: wt's channel pitch
  int tc, tr, ti, tile_pixels;          // tile columns, rows, images (product <= kBN)
  int hr, hc, nj, units, raw_plane;     // halo rows / columns per image, chunks per row
  int tiles_x, tiles_y, m_tiles;
  int raw_offset, halo_offset, units_offset;  // bytes into dynamic shared memory
  bool x_vec;                                 // 16-byte copies from x allowed
  const void* x;
  const void* wt;
  MmaOut out;
  float* ws;  // split-K partials, or NULL
};

template <int KS>
constexpr int a_pitch() {
  return KS * KS * kBC + 8;  // +16 bytes: the 8 rows of an ldmatrix in distinct bank groups
}
template <int KS>
constexpr int a_stage_bytes() {
  return kBM * a_pitch<KS>() * 2;
}

template <typename T, int KS>
__global__ void __launch_bounds__(kThreads, 2) halo_conv_kernel(Params p) {
  constexpr int kTaps = KS * KS;
  constexpr int kLdA = a_pitch<KS>();
  G4J_DYNAMIC_SMEM(unsigned char, smem);
  T* const as = reinterpret_cast<T*>(smem);  // 2 stages of kBM x kLdA
  T* const raw = reinterpret_cast<T*>(smem + p.raw_offset);
  T* const halo = reinterpret_cast<T*>(smem + p.halo_offset);
  Unit* const units = reinterpret_cast<Unit*>(smem + p.units_offset);
  const T* const x = static_cast<const T*>(p.x);
  const T* const wt = static_cast<const T*>(p.wt);

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int m_tile = static_cast<int>(blockIdx.x % p.m_tiles);
  int st = static_cast<int>(blockIdx.x / p.m_tiles);
  const int tile_x = st % p.tiles_x;
  st /= p.tiles_x;
  const int tile_y = st % p.tiles_y, tile_i = st / p.tiles_y;
  const int m0 = m_tile * kBM, ox0 = tile_x * p.tc, oy0 = tile_y * p.tr, img0 = tile_i * p.ti;
  const int gx0 = ox0 * p.stride - p.pad, gy0 = oy0 * p.stride - p.pad;
  const int jbase = gx0 >= 0 ? gx0 / 8 * 8 : -((-gx0 + 7) / 8 * 8);  // floor to a multiple of 8
  const int64_t plane = static_cast<int64_t>(p.height) * p.width;

  for (int u = tid; u < p.units; u += kThreads) {
    const int urow = u / p.nj, j = u - urow * p.nj;
    const int i = urow / p.hr, r = urow - i * p.hr;
    const int img = img0 + i, iy = gy0 + r, col = jbase + 8 * j;
    Unit e;
    e.hcol = col - gx0;
    e.hpix = urow * p.hc + e.hcol;
    const bool inside = img < p.batch && iy >= 0 && iy < p.height && col + 8 > 0 && col < p.width;
    e.gx = inside ? (static_cast<long long>(img) * p.cin * p.height + iy) * p.width + col : -1;
    units[u] = e;
  }
  __syncthreads();

  // Copies step s (channels s*16 ...) into A buffer `buf` and the raw halo.
  auto load = [&](int s, int buf) {
    const int ci0 = s * kBC;
    T* ab = as + buf * (kBM * kLdA);
    {
      // two threads per weight row, one 8-channel half of every tap each: one pointer stepping
      // by cin_pad (hoisting many precomputed addresses out of the loop would cost registers)
      static_assert(kThreads == 2 * kBM, "two threads per A row");
      const int row = tid / 2, h = tid % 2;
      const bool ok = m0 + row < p.cout;
      const T* src = ok ? wt + static_cast<int64_t>(m0 + row) * kTaps * p.cin_pad + ci0 + h * 8 : wt;
      T* dst = ab + row * kLdA + h * 8;
#pragma unroll
      for (int t = 0; t < kTaps; ++t) {
        mma::cp_async_16(dst + t * kBC, ok ? src + t * p.cin_pad : wt, ok);
      }
    }
    // raw[c][unit][8]: thread (channel tid / 8, units tid % 8 + 8k), so 8 neighbouring threads
    // copy 8 neighbouring chunks of one row
    const int c = tid / 8, ch = ci0 + c;
    const bool ch_ok = ch < p.cin;
    const int64_t ch_off = static_cast<int64_t>(ch) * plane;
    T* const dst_c = raw + c * p.raw_plane;
    for (int u = tid % 8; u < p.units; u += 8) {
      const Unit e = units[u];
      T* dst = dst_c + u * 8;
      if (p.x_vec) {
        const bool ok = ch_ok && e.gx >= 0;
        mma::cp_async_16(dst, ok ? x + e.gx + ch_off : x, ok);
      } else {
        const int col = gx0 + e.hcol;
#pragma unroll
        for (int k = 0; k < 8; ++k) {
          const bool ok = ch_ok && e.gx >= 0 && col + k >= 0 && col + k < p.width;
          dst[k] = ok ? x[e.gx + ch_off + k] : from_f32<T>(0.0f);
        }
      }
    }
  };

  // raw -> halo[pixel][channel]: matrix (channel group cg, unit u) is rows cg*8 .. cg*8+7 of
  // raw at chunk u; ldmatrix.trans gives lane l channels 2(l%4), 2(l%4)+1 of the chunk's pixel
  // l/4. Every warp runs the same number of rounds (warp-collective loads under emulation).
  auto transpose = [&]() {
    const int mats = 2 * p.units;
    const int rounds = (mats + 4 * (kThreads / 32) - 1) / (4 * (kThreads / 32));
    for (int rd = 0; rd < rounds; ++rd) {
      const int base = (rd * (kThreads / 32) + warp) * 4;
      const int mid = base + lane / 8;
      const T* row = mid < mats ? raw + ((mid & 1) * 8 + lane % 8) * p.raw_plane + (mid >> 1) * 8
                                : raw;
      uint32_t r4[4];
      mma::ldmatrix_x4_trans(r4, row);
#pragma unroll
      for (int m = 0; m < 4; ++m) {
        const int mm = base + m;
        if (mm < mats) {
          const Unit e = units[mm >> 1];
          const int hcol = e.hcol + lane / 4;
          if (hcol >= 0 && hcol < p.hc) {
            *reinterpret_cast<uint32_t*>(halo + (e.hpix + lane / 4) * kPitch + (mm & 1) * 8 +
                                         2 * (lane % 4)) = r4[m];
          }
        }
      }
    }
  };

  // Lane roles in the ldmatrix.x4 loads: matrix mi = lane / 8, its row lr = lane % 8.
  const int mi = lane / 8, lr = lane % 8;
  // B: the halo pixel (tap 0) of this lane's row in each 16-pixel pair of the warp's 64 pixels,
  // as an element offset including the channel half (mi % 2) * 8.
  int b_off[4];
#pragma unroll
  for (int jj = 0; jj < 4; ++jj) {
    // pixels past the tile (tile_pixels < kBN) read any valid halo address; they are masked
    const int n = (warp * 64 + jj * 16 + (mi / 2) * 8 + lr) % p.tile_pixels;
    const int cc = n % p.tc, rest = n / p.tc;
    const int rr = rest % p.tr, i = rest / p.tr;
    b_off[jj] = ((i * p.hr + rr * p.stride) * p.hc + cc * p.stride) * kPitch + (mi % 2) * 8;
  }

  float acc[4][8][4];
#pragma unroll
  for (int i = 0; i < 4; ++i) {
#pragma unroll
    for (int j = 0; j < 8; ++j) {
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;
    }
  }

  const int split = blockIdx.y;
  const int s_begin = split * p.steps_per_split;
  const int s_end = s_begin + p.steps_per_split < p.steps ? s_begin + p.steps_per_split : p.steps;

  if (s_begin < s_end) load(s_begin, 0);
  mma::cp_async_commit();
  for (int s = s_begin; s < s_end; ++s) {
    const int buf = (s - s_begin) & 1;
    mma::cp_async_wait<0>();  // step s (issued one step ago) has landed ...
    __syncthreads();          // ... for every thread; the halo is free (last step's mma done)
    transpose();
    __syncthreads();  // halo complete; raw and the other A buffer are free
    if (s + 1 < s_end) load(s + 1, buf ^ 1);
    mma::cp_async_commit();

    const T* ab = as + buf * (kBM * kLdA);
#pragma unroll
    for (int t = 0; t < kTaps; ++t) {
      const int tap_off = ((t / KS) * p.hc + (t % KS)) * kPitch;
      uint32_t a[4][4], b[8][2];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        // quarters in the order of a[]: (rows 0-7 | 8-15) x (k 0-7 | 8-15), rows first
        mma::ldmatrix_x4(a[i], ab + (i * 16 + (mi % 2) * 8 + lr) * kLdA + t * kBC + (mi / 2) * 8);
      }
#pragma unroll
      for (int jj = 0; jj < 4; ++jj) {
        // matrices (n 0-7, k 0-7), (n 0-7, k 8-15), (n 8-15, k 0-7), (n 8-15, k 8-15)
        uint32_t r4[4];
        mma::ldmatrix_x4(r4, halo + b_off[jj] + tap_off);
        b[2 * jj][0] = r4[0];
        b[2 * jj][1] = r4[1];
        b[2 * jj + 1][0] = r4[2];
        b[2 * jj + 1][1] = r4[3];
      }
#pragma unroll
      for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 8; ++j) mma::mma_16816<T>(acc[i][j], a[i], b[j], acc[i][j]);
      }
    }
  }
  mma::cp_async_wait<0>();

  // Epilogue straight from the accumulators (c[0..1]: row g, pixels 2q, 2q+1; c[2..3]: row
  // g + 8). The two pixels lie in one tile row (tc is a multiple of 8).
  const int g = lane / 4, q = lane % 4;
  const MmaOut& o = p.out;
  const int hw_out = p.out_h * p.out_w;
#pragma unroll
  for (int j = 0; j < 8; ++j) {
    const int n = warp * 64 + j * 8 + 2 * q;
    if (n >= p.tile_pixels) continue;
    const int cc = n % p.tc, rest = n / p.tc;
    const int rr = rest % p.tr, i = rest / p.tr;
    const int img = img0 + i, oy = oy0 + rr, ox = ox0 + cc;
    if (img >= p.batch || oy >= p.out_h || ox >= p.out_w) continue;
    const bool two = ox + 1 < p.out_w;
    const int jc = oy * p.out_w + ox, col = img * hw_out + jc;
#pragma unroll
    for (int i4 = 0; i4 < 4; ++i4) {
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int row = m0 + i4 * 16 + h * 8 + g;
        if (row >= p.cout) continue;
        const float v0 = acc[i4][j][2 * h], v1 = acc[i4][j][2 * h + 1];
        if (p.ws != nullptr) {
          const int64_t w = split_index(o, split, 0, row, col);
          p.ws[w] = v0;
          if (two) p.ws[w + 1] = v1;
        } else {
          o.store_pair<T>(0, row, img, jc, col, v0, v1, two);
        }
      }
    }
  }
}

}  // namespace halo_conv

// Whether the halo kernel takes this convolution (1x1 or 3x3, shared memory within the device's
// limit), and the launch. Shapes are those of the convolution computed: cin/height/width of its
// input x, cout/out_h/out_w of its output. `weight` is OIHW (cout, cin, k, k); with `backward` it
// is instead the weight of the forward convolution whose input gradient this call computes
// (cin, cout, k, k), read transposed and flipped: the input gradient of a stride-1 convolution with
// padding P is this convolution of dy with padding k - 1 - P.
struct HaloConvShape {
  int batch, cin, height, width, cout, kernel, stride, pad, out_h, out_w;
};
bool halo_conv_supported(const HaloConvShape& s);
void launch_halo_conv(cudaStream_t stream, int dtype, const HaloConvShape& s, const void* x,
                      const void* weight, bool backward, const void* bias, const void* residual,
                      void* out);

}  // namespace cuda
}  // namespace g4j
