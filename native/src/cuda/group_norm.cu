// GroupNorm with the optional affine, AdaGN scale/shift and SiLU fused in, near the memory
// roofline: every element is read once and written once.
//
// Resident path (a group fits one block): the block loads its whole group into registers with
// 16-byte loads (P vectors per thread, all issued before the first use), takes the two-pass
// statistics from the registers (group_norm.cuh), and writes normalised, scaled and activated
// vectors. Per-channel factors (k, a) with z = (x - mean) * rstd * k + a are staged in shared
// memory while the loads are in flight. Blocks are sized so that two or more fit an SM where
// the group allows: one block's loads then overlap another's reductions and stores.
//
// Chunked path (a group larger than a block holds, e.g. ADM-256's 512 channels at 256x256 in
// 32 groups): the group is split into chunks of one block each. A first kernel stores every
// chunk's (mean, M2) from its registers; the second reloads its chunk, combines the group's
// chunk statistics in F64 (Chan et al.: M2 = sum M2_k + n_k (mean_k - mean)^2, exact in real
// arithmetic and free of cancellation) and writes. That reads x twice.
//
// Vectors are 16 bytes (8 F16/BF16 or 4 F32 values) when x and out are 16-byte aligned and
// spatial is a multiple of the vector, so a vector never straddles two channels; otherwise the
// same kernels run with one element per vector.
#include <algorithm>
#include <type_traits>

#include "group_norm.cuh"

namespace g4j {
namespace cuda {
namespace {

struct GroupNormParams {
  int64_t channels, spatial, groups, ss_stride;
  float eps;
  const void* x; const void* gamma; const void* beta; const void* scale; const void* shift;
  int silu;
  void* out;
  int64_t chunks;      // blocks per group; 1: the group is resident in one block
  int64_t chunk_vecs;  // vectors per chunk (the group's last chunk may hold fewer)
  double2* partial;    // chunks > 1: (mean, M2) of chunk r of group q at [q * chunks + r]
};

// The largest block of a kernel staging P vectors per thread: 1024 threads get 64 registers
// each, enough for 8 vectors (32 registers) and the rest; 16 vectors want about 100, and 576
// threads (18 warps, at most 5 on one of an SM's 4 register files) get 96, with ptxas spilling
// some 20 bytes per thread (to L1). 576 x 16 vectors are ADM-64's largest group exactly (576 channels in 32
// groups at 64x64, F16/BF16).
constexpr int max_threads(int P) { return P <= 8 ? 1024 : 576; }
constexpr int kChunkP = 8;  // vectors per thread on the chunked path

// One block's share of a group: chunk r (elements [e0, e0 + n_el) of the group).
struct ChunkIndex {
  int64_t group;  // b * groups + g
  int64_t e0;
  uint32_t n_el;
};

template <int V>
__device__ __forceinline__ ChunkIndex chunk_index(const GroupNormParams& p, int64_t count) {
  ChunkIndex c;
  c.group = blockIdx.x / p.chunks;
  const int64_t r = blockIdx.x - c.group * p.chunks;
  c.e0 = r * p.chunk_vecs * V;
  const int64_t left = count - c.e0;
  const int64_t cap = p.chunk_vecs * V;
  c.n_el = static_cast<uint32_t>(left < cap ? left : cap);
  return c;
}

// Issues the block's loads: vector v = j * blockDim.x + threadIdx.x of the chunk into r[j].
template <typename T, int V, int P>
__device__ __forceinline__ void stage(const T* x, uint32_t n_vec, Pack<T, V> (&r)[P]) {
#pragma unroll
  for (int j = 0; j < P; ++j) {
    const uint32_t v = j * blockDim.x + threadIdx.x;
    if (v < n_vec) load_pack<T, V>(x + static_cast<size_t>(v) * V, r[j]);
  }
}

// The staged values as block_moments wants them: one call per pass, each pass converting the
// packs afresh (opaque).
template <typename T, int V, int P>
struct Staged {
  Pack<T, V> (&r)[P];
  uint32_t n_vec;
  template <class F>
  __device__ __forceinline__ void operator()(F f) const {
#pragma unroll
    for (int j = 0; j < P; ++j) opaque(r[j]);
#pragma unroll
    for (int j = 0; j < P; ++j) {
      const uint32_t v = j * blockDim.x + threadIdx.x;
      if (v < n_vec) {
        float x[V];
        unpack(r[j], x);
#pragma unroll
        for (int k = 0; k < V; ++k) f(x[k]);
      }
    }
  }
};

// Chunk statistics for the chunked path's first kernel.
template <typename T, int V, int P>
__global__ void __launch_bounds__(max_threads(P)) group_norm_chunk_stats_kernel(
    GroupNormParams p) {
  __shared__ double red[64];
  const int64_t cpg = p.channels / p.groups;
  const ChunkIndex ci = chunk_index<V>(p, cpg * p.spatial);
  const int64_t b = ci.group / p.groups, g = ci.group - b * p.groups;
  const T* x = static_cast<const T*>(p.x) + (b * p.channels + g * cpg) * p.spatial + ci.e0;
  Pack<T, V> r[P];
  const uint32_t n_vec = ci.n_el / V;
  stage<T, V, P>(x, n_vec, r);
  const Moments m =
      block_moments<float>(Staged<T, V, P>{r, n_vec}, static_cast<double>(ci.n_el), red);
  if (threadIdx.x == 0) p.partial[blockIdx.x] = make_double2(m.mean(), m.m2);
}

// Chunked: the group's mean and M2 from its chunks' (mean, M2), in F64:
// mean = sum n_k mean_k / n, M2 = sum M2_k + n_k (mean_k - mean)^2.
__device__ __forceinline__ Moments combine_chunks(const GroupNormParams& p, int64_t group,
                                                   int64_t count, int64_t chunk_el, double* red) {
  const double2* part = p.partial + group * p.chunks;
  auto each = [&](auto f) {
    for (int64_t k = threadIdx.x; k < p.chunks; k += blockDim.x) {
      const int64_t left = count - k * chunk_el;
      f(static_cast<double>(left < chunk_el ? left : chunk_el), part[k]);
    }
  };
  double s = 0.0;
  each([&](double n, double2 st) { s += n * st.x; });
  const double mean = block_sum<double>(s, red) / static_cast<double>(count);
  double q = 0.0;
  each([&](double n, double2 st) {
    const double d = st.x - mean;
    q += st.y + n * d * d;
  });
  return make_moments(mean, block_sum<double>(q, red));
}

// The resident kernel (kChunked false: one block per group) or the chunked path's second one.
template <typename T, int V, int P, bool kChunked>
__global__ void __launch_bounds__(max_threads(P)) group_norm_kernel(GroupNormParams p) {
  __shared__ double red[64];
  G4J_DYNAMIC_SMEM(float2, coef);
  const int64_t cpg = p.channels / p.groups;
  const int64_t count = cpg * p.spatial;
  const ChunkIndex ci = chunk_index<V>(p, count);
  const int64_t b = ci.group / p.groups, g = ci.group - b * p.groups;
  const int64_t base = (b * p.channels + g * cpg) * p.spatial + ci.e0;
  Pack<T, V> r[P];
  const uint32_t n_vec = ci.n_el / V;
  stage<T, V, P>(static_cast<const T*>(p.x) + base, n_vec, r);

  // The factors of the chunk's channels [c_first, c_end) (of the group) into shared memory,
  // while the loads are in flight. off: the chunk's start within channel c_first.
  const int64_t c_first = kChunked ? ci.e0 / p.spatial : 0;
  const uint32_t off = static_cast<uint32_t>(ci.e0 - c_first * p.spatial);
  {
    const int64_t c_count = kChunked ? (off + ci.n_el - 1) / p.spatial + 1 : cpg;
    const ChannelParams<T> prm =
        channel_params<T>(p.gamma, p.beta, p.scale, p.shift, b, p.ss_stride);
    const int64_t c_op = g * cpg + c_first;  // the op's channel index of c_first
    for (int64_t c = threadIdx.x; c < c_count; c += blockDim.x) coef[c] = prm.at(c_op + c);
  }

  // Statistics; their block_sum calls order the coefficient stores before the reads below.
  const Moments m =
      kChunked ? combine_chunks(p, ci.group, count, p.chunk_vecs * V, red)
               : block_moments<float>(Staged<T, V, P>{r, n_vec}, static_cast<double>(count), red);
  const float rstd = group_rstd(m.m2, static_cast<double>(count), p.eps);

  // Apply: vector v lies in channel (off + v * V) / spatial of the chunk.
#pragma unroll
  for (int j = 0; j < P; ++j) opaque(r[j]);
  T* out = static_cast<T*>(p.out) + base;
  const uint32_t spatial = static_cast<uint32_t>(p.spatial);
#pragma unroll
  for (int j = 0; j < P; ++j) {
    const uint32_t v = j * blockDim.x + threadIdx.x;
    if (v < n_vec) {
      const float2 ka = coef[(off + v * V) / spatial];
      const float k = rstd * ka.x;
      float y[V];
      unpack(r[j], y);
#pragma unroll
      for (int e = 0; e < V; ++e) {
        y[e] = fmaf((y[e] - m.mean_hi) - m.mean_lo, k, ka.y);
        if (p.silu) y[e] = silu_f32<T>(y[e]);
      }
      store_pack<T, V>(out + static_cast<size_t>(v) * V, y);
    }
  }
}

// ---- launch -----------------------------------------------------------------------------------

// Channels whose factors one block stages (32 KiB); a chunk never spans more.
constexpr int64_t kMaxCoefs = 4096;

inline int round_up32(int64_t n) { return static_cast<int>((n + 31) / 32 * 32); }

// Dynamic shared memory for the factors of the channels a chunk can touch.
template <int V>
size_t coef_bytes(const GroupNormParams& p) {
  const int64_t coefs = std::min<int64_t>(p.channels / p.groups, p.chunk_vecs * V / p.spatial + 2);
  return static_cast<size_t>(coefs) * sizeof(float2);
}

template <typename T, int V, int P>
void launch_resident(cudaStream_t stream, const GroupNormParams& p, int64_t batch, int threads) {
  const unsigned blocks = group_blocks(batch * p.groups, "group_norm");
  group_norm_kernel<T, V, P, false><<<blocks, threads, coef_bytes<V>(p), stream>>>(p);
  LAUNCH_CHECK();
}

template <typename T, int V, int P>
void launch_chunked(cudaStream_t stream, GroupNormParams p, int64_t batch, int threads) {
  const unsigned blocks = group_blocks(batch * p.groups * p.chunks, "group_norm");
  Scratch partial(stream, static_cast<size_t>(blocks) * sizeof(double2));
  p.partial = partial.as<double2>();
  group_norm_chunk_stats_kernel<T, V, P><<<blocks, threads, 0, stream>>>(p);
  LAUNCH_CHECK();
  group_norm_kernel<T, V, P, true><<<blocks, threads, coef_bytes<V>(p), stream>>>(p);
  LAUNCH_CHECK();
}

template <typename T, int V>
void launch_group_norm(cudaStream_t stream, const GroupNormArgs& a) {
  GroupNormParams p{a.channels, a.spatial, a.groups, a.ss_stride, a.eps, a.x, a.gamma, a.beta,
                    a.scale, a.shift, a.silu, a.out, 1, 0, nullptr};
  const int64_t cpg = a.channels / a.groups;
  const int64_t n_vec = cpg * a.spatial / V;
  // Resident: the fewest vectors per thread that fit the group in one block of at most `limit`
  // threads; first blocks small enough that two or more share an SM (one block's load phase
  // then overlaps another's reductions and stores), else the largest blocks.
  auto resident = [&](auto pc, bool small) {
    constexpr int P = decltype(pc)::value;
    const int limit = small ? (P <= 8 ? 512 : 320) : max_threads(P);
    if (n_vec > static_cast<int64_t>(P) * limit || cpg > kMaxCoefs) return false;
    const int threads = round_up32((n_vec + P - 1) / P);
    p.chunk_vecs = static_cast<int64_t>(threads) * P;
    launch_resident<T, V, P>(stream, p, a.batch, threads);
    return true;
  };
  for (bool small : {true, false}) {
    if (resident(std::integral_constant<int, 1>{}, small) ||
        resident(std::integral_constant<int, 2>{}, small) ||
        resident(std::integral_constant<int, 4>{}, small) ||
        resident(std::integral_constant<int, 8>{}, small) ||
        resident(std::integral_constant<int, 16>{}, small)) {
      return;
    }
  }
  // Chunked: as few full-size blocks as hold the group, its vectors spread evenly over them; a
  // chunk spans at most kMaxCoefs channels.
  int64_t cap = int64_t{kChunkP} * max_threads(kChunkP);
  cap = std::min(cap, std::max<int64_t>(1, (kMaxCoefs - 2) * a.spatial / V));
  const int64_t chunks = (n_vec + cap - 1) / cap;
  const int threads = round_up32(((n_vec + chunks - 1) / chunks + kChunkP - 1) / kChunkP);
  p.chunk_vecs = static_cast<int64_t>(threads) * kChunkP;
  p.chunks = (n_vec + p.chunk_vecs - 1) / p.chunk_vecs;
  launch_chunked<T, V, kChunkP>(stream, p, a.batch, threads);
}

}  // namespace

void group_norm(Stream s, const GroupNormArgs& a) {
  if (a.batch <= 0 || a.channels <= 0 || a.spatial <= 0) return;
  if (a.spatial > 0x7fffffff - 0x100000) {  // the kernels index within a channel in 32 bits
    fail(G4J_ERR_UNSUPPORTED, "group_norm on CUDA: spatial size %lld exceeds 2^31 - 2^20",
         static_cast<long long>(a.spatial));
  }
  dispatch_dtype(a.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    constexpr int V = 16 / sizeof(T);
    if (aligned16(a.x) && aligned16(a.out) && a.spatial % V == 0) {
      launch_group_norm<T, V>(as_cuda(s), a);
    } else {
      launch_group_norm<T, 1>(as_cuda(s), a);
    }
  });
}

}  // namespace cuda
}  // namespace g4j
