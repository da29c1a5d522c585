// Host side of the halo convolution kernel (igemm_mma.cuh): the weight arrangement, the tile
// and shared-memory layout, split-K and the launch.
#include <algorithm>
#include <climits>

#include "igemm_mma.cuh"

namespace g4j {
namespace cuda {
namespace {

using namespace halo_conv;

// wt[r][t][c] (c < cin_pad, zero from `chans` on) from OIHW weights: forward w[r][c][t];
// backward (the transposed, flipped kernel of an input gradient) w[c][r][taps - 1 - t].
// One thread per (r, c): it reads the contiguous taps of one filter and its neighbours write
// neighbouring c, so both sides are coalesced in the forward case.
template <typename T>
__global__ void arrange_weights_kernel(const T* w, T* wt, int rows, int chans, int taps,
                                       int cin_pad, bool backward) {
  const int64_t total = static_cast<int64_t>(rows) * cin_pad;
  for (int64_t e = global_thread(); e < total; e += grid_threads()) {
    const int r = static_cast<int>(e / cin_pad), c = static_cast<int>(e - r * int64_t{cin_pad});
    for (int t = 0; t < taps; ++t) {
      T v = from_f32<T>(0.0f);
      if (c < chans) {
        v = backward ? w[(static_cast<int64_t>(c) * rows + r) * taps + (taps - 1 - t)]
                     : w[(static_cast<int64_t>(r) * chans + c) * taps + t];
      }
      wt[(static_cast<int64_t>(r) * taps + t) * cin_pad + c] = v;
    }
  }
}

int pow2_at_least(int v) {
  int p = 1;
  while (p < v && p < (1 << 30)) p *= 2;
  return p;
}

// The tile shape and the shared-memory layout of one launch.
struct Layout {
  Params p;  // the geometry fields only
  size_t smem;
};

Layout layout_for(const HaloConvShape& s) {
  Layout l{};
  Params& p = l.p;
  p.batch = s.batch, p.cin = s.cin, p.height = s.height, p.width = s.width, p.cout = s.cout;
  p.out_h = s.out_h, p.out_w = s.out_w, p.stride = s.stride, p.pad = s.pad;
  p.steps = (s.cin + kBC - 1) / kBC;
  p.cin_pad = p.steps * kBC;
  // Whole output rows where they fit (one contiguous run per output row in the epilogue), else
  // 64 columns; then as many rows, then images, as fill 256 pixels.
  p.tc = std::min(64, std::max(8, pow2_at_least(s.out_w)));
  p.tr = std::min(pow2_at_least(s.out_h), kBN / p.tc);
  p.ti = std::max(1, std::min(kBN / (p.tc * p.tr), pow2_at_least(s.batch)));
  p.tile_pixels = p.tc * p.tr * p.ti;
  p.hr = (p.tr - 1) * s.stride + s.kernel;
  p.hc = (p.tc - 1) * s.stride + s.kernel;
  // The halo's first column minus the 8-aligned chunk start: the same in every tile because
  // tile origins are multiples of 8 (tc is).
  const int lead = ((-s.pad) % 8 + 8) % 8;
  p.nj = (lead + p.hc + 7) / 8;
  p.units = p.ti * p.hr * p.nj;
  // An odd number of 16-byte units per channel plane: the 8 channel rows of one transposing
  // ldmatrix then fall in distinct bank groups.
  p.raw_plane = p.units * 8 + (p.units % 2 == 0 ? 8 : 0);
  p.tiles_x = (s.out_w + p.tc - 1) / p.tc;
  p.tiles_y = (s.out_h + p.tr - 1) / p.tr;
  p.m_tiles = (s.cout + kBM - 1) / kBM;
  const size_t a_bytes =
      2 * static_cast<size_t>(s.kernel == 3 ? a_stage_bytes<3>() : a_stage_bytes<1>());
  const size_t raw_bytes = static_cast<size_t>(kBC) * p.raw_plane * 2;
  const size_t halo_bytes = static_cast<size_t>(p.ti) * p.hr * p.hc * kPitch * 2;
  p.raw_offset = static_cast<int>(a_bytes);
  p.halo_offset = static_cast<int>(a_bytes + raw_bytes);
  p.units_offset = static_cast<int>(a_bytes + raw_bytes + halo_bytes);
  l.smem = a_bytes + raw_bytes + halo_bytes + static_cast<size_t>(p.units) * sizeof(Unit);
  return l;
}

template <typename T, int KS>
void launch_kernel(cudaStream_t stream, const Params& p, size_t smem, unsigned blocks,
                   int splits) {
  static std::atomic<uint64_t> smem_set{0};
  auto kernel = halo_conv_kernel<T, KS>;
  allow_dynamic_smem(reinterpret_cast<const void*>(kernel), &smem_set);
  kernel<<<dim3(blocks, static_cast<unsigned>(splits)), kThreads, smem, stream>>>(p);
  LAUNCH_CHECK();
}

template <typename T>
void run(cudaStream_t stream, int dtype, const HaloConvShape& s, const void* x, const void* weight,
         bool backward, const void* bias, const void* residual, void* out) {
  Layout l = layout_for(s);
  Params& p = l.p;
  const int taps = s.kernel * s.kernel;
  const int64_t tiles = static_cast<int64_t>(p.tiles_x) * p.tiles_y *
                        ((s.batch + p.ti - 1) / p.ti) * p.m_tiles;
  if (tiles > INT_MAX) fail(G4J_ERR_UNSUPPORTED, "conv2d: too many tiles for the CUDA grid");

  Scratch wt(stream, static_cast<size_t>(s.cout) * taps * p.cin_pad * sizeof(T));
  const int64_t wt_rows = static_cast<int64_t>(s.cout) * p.cin_pad;
  arrange_weights_kernel<T><<<grid_for(wt_rows), kElementwiseThreads, 0, stream>>>(
      static_cast<const T*>(weight), wt.as<T>(), s.cout, s.cin, taps, p.cin_pad, backward);
  LAUNCH_CHECK();

  p.x = x;
  p.wt = wt.as<T>();
  p.x_vec = s.width % 8 == 0 && aligned16(x);
  const int64_t hw_out = static_cast<int64_t>(s.out_h) * s.out_w;
  MmaOut& o = p.out;
  o.c = out;
  o.ldc = hw_out;
  o.c_group = s.cout * hw_out;
  o.c_batch = 0;
  o.cpg = static_cast<int>(hw_out);
  o.m = s.cout;
  o.n = static_cast<int>(s.batch * hw_out);
  o.batch = 1;
  o.alpha = 1.0f;
  o.beta = 0.0f;
  o.row_bias = bias;
  o.col_bias = nullptr;
  o.residual = residual;
  // pixel pairs (ox, ox + 1) start at even ox; their offset is even when the width is
  o.pair_ok = s.out_w % 2 == 0 && reinterpret_cast<uintptr_t>(out) % 4 == 0 &&
              (residual == nullptr || reinterpret_cast<uintptr_t>(residual) % 4 == 0);

  const DeviceLimits& lim = device_limits();
  const int64_t slots = static_cast<int64_t>(lim.sms) * blocks_per_sm(lim, l.smem, 2);
  const double flops = 2.0 * kBM * kBN * taps * kBC * static_cast<double>(p.steps) * tiles;
  int splits = choose_split_k(tiles, p.steps, slots, flops, static_cast<int64_t>(o.m) * o.n);
  p.steps_per_split = (p.steps + splits - 1) / splits;
  splits = (p.steps + p.steps_per_split - 1) / p.steps_per_split;

  auto launch = [&] {
    if (s.kernel == 3) launch_kernel<T, 3>(stream, p, l.smem, static_cast<unsigned>(tiles), splits);
    else launch_kernel<T, 1>(stream, p, l.smem, static_cast<unsigned>(tiles), splits);
  };
  if (splits == 1) {
    p.ws = nullptr;
    launch();
    return;
  }
  Scratch ws(stream, static_cast<size_t>(splits) * o.m * o.n * sizeof(float));
  p.ws = ws.as<float>();
  launch();
  split_k_reduce(stream, dtype, o, p.ws, splits);
}

}  // namespace

bool halo_conv_supported(const HaloConvShape& s) {
  if (s.kernel != 1 && s.kernel != 3) return false;
  if (s.stride < 1 || s.pad < 0) return false;
  return layout_for(s).smem <= static_cast<size_t>(device_limits().smem_block_optin);
}

void launch_halo_conv(cudaStream_t stream, int dtype, const HaloConvShape& s, const void* x,
                      const void* weight, bool backward, const void* bias, const void* residual,
                      void* out) {
  if (dtype == G4J_F16) {
    run<__half>(stream, dtype, s, x, weight, backward, bias, residual, out);
  } else if (dtype == G4J_BF16) {
    run<__nv_bfloat16>(stream, dtype, s, x, weight, backward, bias, residual, out);
  } else {
    fail(G4J_ERR_INTERNAL, "halo conv: dtype %d has no tensor-core path", dtype);
  }
}

}  // namespace cuda
}  // namespace g4j
