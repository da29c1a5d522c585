// Times the tensor-core attention forward (attention_flash.cuh) in several tile configurations
// at ADM's shapes on a GPU, beside the SIMT kernel it replaces for F16/BF16, and checks every
// configuration against the one the library dispatches to (which g4j_smoke checks against
// float64). With --dump DIR it also writes one shape's inputs and output for
// tools/attention_sdpa.py, which puts PyTorch's scaled_dot_product_attention (time and error
// against float64) beside it.
//
// Build: cmake --build build/native --target g4j_attention_bench (not part of the default
// build), or from the repository root:
//   nvcc -std=c++17 -O3 --expt-relaxed-constexpr -arch=sm_90 -Inative/include -Inative/src \
//     -Inative/src/cuda native/tests/cuda/attention_bench.cu native/src/common.cpp \
//     native/src/cuda/attention_flash.cu -o attention_bench
// Exit code 0: every configuration agrees with the dispatched one; 1: a mismatch; 77: no GPU.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "attention.cuh"
#include "attention_flash.cuh"

using namespace g4j;
using namespace g4j::cuda;

namespace {

#define CHECK(expr)                                                                         \
  do {                                                                                      \
    cudaError_t err_ = (expr);                                                              \
    if (err_ != cudaSuccess) {                                                              \
      std::fprintf(stderr, "attention_bench: %s failed: %s\n", #expr, cudaGetErrorString(err_)); \
      std::exit(1);                                                                         \
    }                                                                                       \
  } while (0)

using Bf16 = __nv_bfloat16;

struct Shape {
  int64_t batch, heads, head_dim, tokens;
  int layout;
  const char* name;
  double flops() const { return 4.0 * batch * heads * tokens * tokens * head_dim; }
};

using Launcher = std::function<void(cudaStream_t, const AttentionArgs&)>;
struct Variant {
  std::string name;
  Launcher run;
};

template <class Cfg>
Variant variant() {
  const std::string name = "tc D" + std::to_string(Cfg::DMAX) + " w" + std::to_string(Cfg::kWarps) +
                           "x" + std::to_string(Cfg::kMT) + " Br" + std::to_string(Cfg::kBr) +
                           " Bc" + std::to_string(Cfg::kBc) + " st" + std::to_string(Cfg::kStages) +
                           " mb" + std::to_string(Cfg::kMinBlocks) + (Cfg::kLazy ? " lazy" : "");
  return {name, [](cudaStream_t s, const AttentionArgs& a) {
            flash::launch<Bf16, Cfg>(s, a.batch, a.heads, a.head_dim, a.tokens, a.layout, a.scale,
                                     a.qkv, a.out);
          }};
}

// The SIMT kernel that served F16/BF16 before (attention.cuh, kForward).
Variant simt() {
  return {"simt (before)", [](cudaStream_t s, const AttentionArgs& a) {
            attn::dispatch_head_dim(a.head_dim, "attention", [&](auto dmax, auto lanes) {
              constexpr int DMAX = decltype(dmax)::value, G = decltype(lanes)::value;
              constexpr int kRows = attn::kThreads / G;
              const int64_t row_tiles = (a.tokens + kRows - 1) / kRows;
              const unsigned blocks = attn::attention_blocks(a.batch, a.heads, row_tiles, "attn");
              const attn::Params p{a.heads, a.head_dim, a.tokens, row_tiles, a.layout,
                                   a.scale, a.qkv,      nullptr,  a.out,     nullptr};
              attn::attention_forward_kernel<Bf16, DMAX, G, attn::Mode::kForward>
                  <<<blocks, attn::kThreads, 0, s>>>(p);
              CHECK(cudaGetLastError());
            });
          }};
}

// The dispatched configurations and the runners-up of the last measurement (see the
// comment in attention_flash.cu), to check a change of kernel or GPU against.
std::vector<Variant> variants(int64_t head_dim) {
  using flash::Config;
  constexpr bool kLazy = true;
  std::vector<Variant> v;
  if (head_dim <= 32) {
    v.push_back(variant<Config<32, 4, 1, 64, 2>>());
    v.push_back(variant<Config<32, 4, 1, 64, 2, 1, kLazy>>());
    v.push_back(variant<Config<32, 4, 2, 64, 3, 2, kLazy>>());
  } else if (head_dim <= 64) {
    v.push_back(variant<Config<64, 4, 2, 64, 3, 2, kLazy>>());
    v.push_back(variant<Config<64, 4, 2, 64, 3, 2>>());
    v.push_back(variant<Config<64, 4, 2, 64, 2, 2, kLazy>>());
    v.push_back(variant<Config<64, 8, 2, 64, 3, 1, kLazy>>());
    v.push_back(variant<Config<64, 8, 1, 64, 2, 2, kLazy>>());
    v.push_back(variant<Config<64, 4, 1, 64, 2, 4>>());
    v.push_back(variant<Config<64, 4, 1, 64, 2, 4, kLazy>>());
    v.push_back(variant<Config<64, 4, 1, 64, 3, 3, kLazy>>());
  } else {
    v.push_back(variant<Config<128, 4, 1, 64, 2>>());
    v.push_back(variant<Config<128, 4, 1, 64, 2, 1, kLazy>>());
    v.push_back(variant<Config<128, 8, 1, 64, 2, 1, kLazy>>());
  }
  return v;
}

float bf16_to_float(Bf16 v) { return __bfloat162float(v); }

// Median milliseconds per launch: batches of launches between two events.
double time_ms(const Launcher& run, cudaStream_t s, const AttentionArgs& a) {
  cudaEvent_t e0, e1;
  CHECK(cudaEventCreate(&e0));
  CHECK(cudaEventCreate(&e1));
  for (int i = 0; i < 3; ++i) run(s, a);
  CHECK(cudaEventRecord(e0, s));
  run(s, a);
  CHECK(cudaEventRecord(e1, s));
  CHECK(cudaEventSynchronize(e1));
  float one = 0;
  CHECK(cudaEventElapsedTime(&one, e0, e1));
  const int n = std::max(1, std::min(2000, static_cast<int>(3.0 / std::max(one, 1e-4f))));
  std::vector<double> t;
  for (int rep = 0; rep < 7; ++rep) {
    CHECK(cudaEventRecord(e0, s));
    for (int i = 0; i < n; ++i) run(s, a);
    CHECK(cudaEventRecord(e1, s));
    CHECK(cudaEventSynchronize(e1));
    float ms = 0;
    CHECK(cudaEventElapsedTime(&ms, e0, e1));
    t.push_back(ms / n);
  }
  CHECK(cudaEventDestroy(e0));
  CHECK(cudaEventDestroy(e1));
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void write_file(const std::string& path, const void* data, size_t bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(data, 1, bytes, f) != bytes) {
    std::fprintf(stderr, "attention_bench: cannot write %s\n", path.c_str());
    std::exit(1);
  }
  std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dump;
  bool all = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--dump") == 0 && i + 1 < argc) dump = argv[++i];
    else if (std::strcmp(argv[i], "--dispatched") == 0) all = false;
  }
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("attention_bench: skipped, no CUDA device\n");
    return 77;
  }
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("attention_bench on %s (%d SMs), bf16, times are medians per launch\n", prop.name,
              prop.multiProcessorCount);
  const Shape shapes[] = {
      {16, 6, 64, 1024, G4J_QKV_NEW_ORDER, "ADM-64 @32x32"},
      {16, 9, 64, 256, G4J_QKV_NEW_ORDER, "ADM-64 @16x16"},
      {16, 12, 64, 64, G4J_QKV_NEW_ORDER, "ADM-64 @8x8"},
      {16, 6, 64, 1024, G4J_QKV_LEGACY, "legacy order"},
      {16, 6, 64, 1024, G4J_QKV_EDM2, "EDM2 order"},
      {4, 4, 64, 4096, G4J_QKV_NEW_ORDER, "4096 tokens"},
      {16, 8, 64, 65, G4J_QKV_NEW_ORDER, "pool 8x8+1 (unaligned)"},
      {16, 6, 64, 1025, G4J_QKV_NEW_ORDER, "1025 (unaligned)"},
      {16, 12, 32, 1024, G4J_QKV_NEW_ORDER, "32-dim heads"},
      {16, 3, 128, 1024, G4J_QKV_NEW_ORDER, "128-dim heads"},
  };
  cudaStream_t s;
  CHECK(cudaStreamCreate(&s));
  int bad = 0;
  std::printf("%-24s %-34s %10s %9s %11s\n", "shape", "kernel", "us", "TFLOP/s", "max rel diff");
  for (const Shape& sh : shapes) {
    const int64_t n_in = sh.batch * 3 * sh.heads * sh.head_dim * sh.tokens;
    const int64_t n_out = sh.batch * sh.heads * sh.head_dim * sh.tokens;
    std::vector<Bf16> h_in(n_in);
    std::mt19937_64 eng(1234 + sh.tokens);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (auto& x : h_in) x = __float2bfloat16_rn(dist(eng));
    Bf16 *qkv, *ref, *out;
    CHECK(cudaMalloc(&qkv, n_in * 2));
    CHECK(cudaMalloc(&ref, n_out * 2));
    CHECK(cudaMalloc(&out, n_out * 2));
    CHECK(cudaMemcpy(qkv, h_in.data(), n_in * 2, cudaMemcpyHostToDevice));
    const float scale = 1.0f / std::sqrt(static_cast<float>(sh.head_dim));
    AttentionArgs a{G4J_BF16, sh.batch, sh.heads, sh.head_dim, sh.tokens, sh.layout, scale, qkv,
                    ref};
    CHECK(cudaMemset(ref, 0xff, n_out * 2));
    flash::forward(s, a);
    CHECK(cudaStreamSynchronize(s));
    std::vector<Bf16> h_ref(n_out), h_out(n_out);
    CHECK(cudaMemcpy(h_ref.data(), ref, n_out * 2, cudaMemcpyDeviceToHost));
    int nan = 0;
    for (Bf16 v : h_ref) nan += std::isnan(bf16_to_float(v));
    if (nan > 0) {
      std::printf("%-24s dispatched kernel left %d NaN outputs\n", sh.name, nan);
      ++bad;
    }
    if (!dump.empty() && &sh == &shapes[0]) {
      write_file(dump + "/qkv.bf16", h_in.data(), n_in * 2);
      write_file(dump + "/out.bf16", h_ref.data(), n_out * 2);
    }
    std::vector<Variant> list;
    list.push_back({"dispatched", [](cudaStream_t st, const AttentionArgs& x) { flash::forward(st, x); }});
    if (all) {
      for (Variant& v : variants(sh.head_dim)) list.push_back(std::move(v));
      list.push_back(simt());
    }
    for (const Variant& v : list) {
      a.out = out;
      CHECK(cudaMemset(out, 0xff, n_out * 2));
      v.run(s, a);
      CHECK(cudaStreamSynchronize(s));
      CHECK(cudaGetLastError());
      CHECK(cudaMemcpy(h_out.data(), out, n_out * 2, cudaMemcpyDeviceToHost));
      // Relative to max(1, |ref|): the configurations differ in summation order only (a
      // bf16 rounding of the output or of a softmax weight apart); the SIMT kernel rounds the
      // output alone.
      double diff = 0;
      for (int64_t i = 0; i < n_out; ++i) {
        const double r = bf16_to_float(h_ref[i]);
        const double d = std::fabs(bf16_to_float(h_out[i]) - r) / std::max(1.0, std::fabs(r));
        diff = std::isnan(d) ? INFINITY : std::max(diff, d);
      }
      const double ms = time_ms(v.run, s, a);
      const bool ok = diff <= 4.0 / 256;  // 4 units of bf16 rounding
      if (!ok) ++bad;
      std::printf("%-24s %-34s %10.2f %9.1f %11.3g%s\n", sh.name, v.name.c_str(), ms * 1e3,
                  sh.flops() / (ms * 1e9), diff, ok ? "" : "  MISMATCH");
      std::fflush(stdout);
    }
    CHECK(cudaFree(qkv));
    CHECK(cudaFree(ref));
    CHECK(cudaFree(out));
  }
  std::printf("attention_bench: %s\n", bad == 0 ? "all configurations agree" : "FAILED");
  return bad == 0 ? 0 : 1;
}
