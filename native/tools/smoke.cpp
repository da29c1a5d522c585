// g4j_smoke: every op of guidance4j.h, on every available backend and dtype, against the float64
// reference of reference.h, on seeded random inputs of awkward shapes (channels off multiples of
// 32, odd groups, one token, odd GEMM sizes), outputs poisoned with NaN bytes first. Prints one
// row per case (error, median time, throughput) and exits 0 when all pass, 1 on a mismatch, 2 on
// an API error. Uses the public C API only.
#include <cctype>
#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "guidance4j.h"
#include "reference.h"

namespace {

// ---- options ----------------------------------------------------------------------------------

struct Options {
  bool quick = false, bench = false, cpu = true, cuda = true, timing = true;
  std::string vendor;  // "", "on", "off" or "both": the CUDA vendor path (g4j_cuda_set_vendor)
  uint64_t seed = 0x5eed2024;
  std::string only;  // run only kernels whose name contains this
  int dtype = -1;    // run only this dtype (-1: all)
};

const char* const kUsage =
    "usage: g4j_smoke [--quick] [--bench] [--backend cpu|cuda|all] [--vendor on|off|both]\n"
    "                 [--only NAME] [--dtype T] [--no-timing] [--seed N]\n"
    "  Runs every guidance4j op against a float64 reference on random inputs.\n"
    "  --quick    small shapes only (what ctest runs)\n"
    "  --bench    adds ADM 64x64 / 256x256 layer shapes for timing\n"
    "  --backend  which backends to run (default all available)\n"
    "  --vendor   CUDA conv2d/gemm on cuDNN/cuBLASLt (on), on the library's own kernels (off),\n"
    "             or both: every op with it on (backend cuda-v), then conv2d, gemm and linear\n"
    "             with it off (cuda-hw) (default: the library's default, G4J_CUDA_VENDOR)\n"
    "  --only     kernels whose name contains NAME (NAME$: whose name is NAME)\n"
    "  --dtype    only this dtype: f32, f16 or bf16\n"
    "  --no-timing  check only, no timed runs (for slow backends: the CUDA emulation)\n"
    "  --seed     seed of the input generator\n"
    "Exit status: 0 all pass, 1 a mismatch, 2 an API error.\n";

// ---- API errors -------------------------------------------------------------------------------

struct ApiError {
  std::string what;
};

const char* status_name(int status) {
  static const char* const names[] = {"G4J_OK",          "G4J_ERR_INVALID_ARGUMENT",
                                      "G4J_ERR_OUT_OF_MEMORY", "G4J_ERR_NO_DEVICE",
                                      "G4J_ERR_UNSUPPORTED",   "G4J_ERR_CUDA",
                                      "G4J_ERR_INTERNAL"};
  return status >= 0 && status <= 6 ? names[status] : "unknown status";
}

std::string message_of(int code) {
  std::vector<char> buf(512);
  const size_t n = g4j_error_message(code, buf.data(), buf.size());
  if (n >= buf.size()) {
    buf.resize(n + 1);
    g4j_error_message(code, buf.data(), buf.size());
  }
  return buf.data();
}

void api(int code, const char* call) {
  if (code == G4J_OK) return;
  const std::string name(call, std::strcspn(call, "("));
  throw ApiError{name + " returned " + status_name(G4J_STATUS_OF(code)) + ": " + message_of(code)};
}
#define API(call) api((call), #call)

size_t dtype_size(int dtype) { return dtype == G4J_F32 ? 4 : 2; }
const char* dtype_name(int dtype) {
  return dtype == G4J_F32 ? "F32" : dtype == G4J_F16 ? "F16" : "BF16";
}

// ---- backends and device buffers --------------------------------------------------------------

struct Backend {
  std::string name;
  g4j_stream* stream;
  bool cuda;
  int vendor = -1;  // CUDA: g4j_cuda_set_vendor(vendor) before its cases; -1 leaves it
  bool vendor_ops_only = false;  // only the ops the vendor switch changes (conv2d, gemm, linear)
};

// The ops that run on cuDNN / cuBLASLt when the vendor path is on.
bool vendor_op(const std::string& kernel) {
  for (const char* prefix : {"conv2d", "gemm", "linear"})
    if (kernel.rfind(prefix, 0) == 0) return true;
  return false;
}

class DevBuf {
 public:
  DevBuf(g4j_stream* s, size_t bytes) : s_(s) { API(g4j_malloc(s, bytes, &p_)); }
  ~DevBuf() {
    if (p_ != nullptr) g4j_free(s_, p_);
  }
  DevBuf(const DevBuf&) = delete;
  DevBuf& operator=(const DevBuf&) = delete;
  void* get() const { return p_; }

 private:
  g4j_stream* s_;
  void* p_ = nullptr;
};
using DevPtr = std::unique_ptr<DevBuf>;

// Puts `host` on the backend in `dtype`; `rounded` receives what the op will actually see (the
// values rounded to `dtype`, read back through g4j_cast), so the reference is computed from the
// kernel's inputs and the error measures the kernel, not the input rounding.
DevPtr upload(const Backend& be, int dtype, const std::vector<float>& host,
              std::vector<float>* rounded) {
  const int64_t n = int64_t(host.size());
  auto f32 = std::make_unique<DevBuf>(be.stream, n * 4);
  API(g4j_memcpy(be.stream, f32->get(), host.data(), n * 4));
  *rounded = host;
  if (dtype == G4J_F32) {
    API(g4j_stream_synchronize(be.stream));
    return f32;
  }
  auto buf = std::make_unique<DevBuf>(be.stream, n * dtype_size(dtype));
  API(g4j_cast(be.stream, G4J_F32, f32->get(), dtype, buf->get(), n));
  API(g4j_cast(be.stream, dtype, buf->get(), G4J_F32, f32->get(), n));
  API(g4j_memcpy(be.stream, rounded->data(), f32->get(), n * 4));
  API(g4j_stream_synchronize(be.stream));
  return buf;
}

std::vector<float> download(const Backend& be, int dtype, const void* buf, int64_t n) {
  std::vector<float> host(n);
  if (dtype == G4J_F32) {
    API(g4j_memcpy(be.stream, host.data(), buf, n * 4));
  } else {
    DevBuf f32(be.stream, n * 4);
    API(g4j_cast(be.stream, dtype, buf, G4J_F32, f32.get(), n));
    API(g4j_memcpy(be.stream, host.data(), f32.get(), n * 4));
  }
  API(g4j_stream_synchronize(be.stream));
  return host;
}

// All-ones bytes are a NaN in F32, F16 and BF16 alike: an op that leaves an element unwritten,
// or reads its output before writing it, shows up as a NaN.
void poison(const Backend& be, void* buf, size_t bytes) {
  std::vector<unsigned char> nan_bytes(bytes, 0xff);
  API(g4j_memcpy(be.stream, buf, nan_bytes.data(), bytes));
  API(g4j_stream_synchronize(be.stream));
}

// ---- random inputs ----------------------------------------------------------------------------

class Gen {
 public:
  explicit Gen(uint64_t seed) : eng_(seed) {}
  std::vector<float> normal(int64_t n, double mean = 0.0, double stddev = 1.0) {
    std::normal_distribution<double> d(mean, stddev);
    std::vector<float> v(n);
    for (auto& x : v) x = float(d(eng_));
    return v;
  }
  std::vector<float> uniform(int64_t n, double lo, double hi) {
    std::uniform_real_distribution<double> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = float(d(eng_));
    return v;
  }

 private:
  std::mt19937_64 eng_;
};

// ---- cases ------------------------------------------------------------------------------------

struct Input {
  std::vector<float> values;
  bool always_f32 = false;  // g4j_timestep_embedding's timesteps
};

using Ptrs = std::vector<void*>;
using RefIn = std::vector<ref::Vec>;
using Sample = std::vector<int64_t>;  // output indices to check; nullptr: all of them

struct Case {
  std::string kernel, shape;
  std::vector<Input> inputs;
  std::vector<int64_t> outputs;  // element counts
  int inout = -1;                // output 0 is input `inout`'s buffer (in place; GEMM's C)
  bool timed = true;             // false when repeating the op would change its inputs
  bool sampled = false;          // reference too costly to run on every element of big cases
  double flops = 0;              // > 0: throughput in TFLOP/s, else GB/s of the bytes moved
  int per_forward = 0;           // > 0: a layer shape of ADM-64, run this often in one forward
  double half_l2_units = 0;      // > 0: F16/BF16 relative L2 bound in units u (see tolerance)
  std::function<int(g4j_stream*, int dtype, const Ptrs& in, const Ptrs& out)> run;
  std::function<std::vector<ref::Result>(const RefIn& in, const Sample* sample)> reference;
};

void* offset(void* p, int64_t elements, int dtype) {
  return static_cast<char*>(p) + elements * int64_t(dtype_size(dtype));
}

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[256];
  va_list args;
  va_start(args, f);
  std::vsnprintf(buf, sizeof buf, f, args);
  va_end(args);
  return buf;
}

template <class F>
void for_each_index(int64_t size, const Sample* sample, F f) {
  if (sample != nullptr) {
    for (int64_t i : *sample) f(i);
  } else {
    for (int64_t i = 0; i < size; ++i) f(i);
  }
}

Case axpby_case(Gen& g, int64_t n, float alpha, float beta, bool with_y, bool in_place) {
  Case c;
  c.kernel = "axpby";
  c.shape = fmt("n=%lld a=%g b=%g%s%s", (long long)n, alpha, beta, with_y ? "" : " y=NULL",
                in_place ? " out=x" : "");
  c.inputs.push_back({g.normal(n)});
  if (with_y) c.inputs.push_back({g.normal(n)});
  c.outputs = {n};
  if (in_place) c.inout = 0, c.timed = false;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_axpby(s, dt, n, alpha, in[0], beta, with_y ? in[1] : nullptr, out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{ref::axpby(alpha, in[0], beta, with_y ? &in[1] : nullptr)};
  };
  return c;
}

Case silu_case(Gen& g, int64_t n, bool in_place) {
  Case c;
  c.kernel = "silu";
  c.shape = fmt("n=%lld%s", (long long)n, in_place ? " out=x" : "");
  c.inputs.push_back({g.normal(n, 0.0, 3.0)});
  c.outputs = {n};
  if (in_place) c.inout = 0, c.timed = false;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_silu(s, dt, n, in[0], out[0]);
  };
  c.reference = [](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{ref::silu(in[0])};
  };
  return c;
}

Case channel_bias_case(Gen& g, int64_t batch, int64_t channels, int64_t spatial,
                       int64_t bias_stride, bool in_place) {
  Case c;
  c.kernel = "add_channel_bias";
  c.shape = fmt("(%lld,%lld,%lld) stride=%lld%s", (long long)batch, (long long)channels,
                (long long)spatial, (long long)bias_stride, in_place ? " out=x" : "");
  c.inputs.push_back({g.normal(batch * channels * spatial)});
  c.inputs.push_back({g.normal((batch - 1) * bias_stride + channels)});
  c.outputs = {batch * channels * spatial};
  if (in_place) c.inout = 0, c.timed = false;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_add_channel_bias(s, dt, batch, channels, spatial, in[0], in[1], bias_stride,
                                out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{
        ref::add_channel_bias(batch, channels, spatial, in[0], in[1], bias_stride)};
  };
  return c;
}

Case guided_combine_case(Gen& g, int64_t n, float scale, bool out_is_b) {
  Case c;
  c.kernel = "guided_combine";
  c.shape = fmt("n=%lld scale=%g%s", (long long)n, scale, out_is_b ? " out=b" : "");
  c.inputs.push_back({g.normal(n)});
  c.inputs.push_back({g.normal(n)});
  c.outputs = {n};
  if (out_is_b) c.inout = 1, c.timed = false;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_guided_combine(s, dt, n, in[0], in[1], scale, out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{ref::guided_combine(in[0], in[1], scale)};
  };
  return c;
}

struct StepOptions {
  bool b, noise, noise_std, x0_out, in_place;
  float clip;
};

Case guided_step_case(Gen& g, int64_t n, StepOptions o) {
  // DDPM-like coefficients: x0 = 1.3 x - 0.8 g spans about [-2, 2], so clip = 1 clamps often.
  const float scale = 3.0f, px = 1.3f, pg = -0.8f, qx = 0.6f, q0 = 0.35f, qn = 0.2f;
  Case c;
  c.kernel = "guided_step";
  c.shape = fmt("n=%lld%s clip=%g%s%s%s%s", (long long)n, o.b ? "" : " b=NULL", o.clip,
                o.noise ? "" : " noise=NULL", o.noise && !o.noise_std ? " std=NULL" : "",
                o.x0_out ? " +x0" : "", o.in_place ? " out=x" : "");
  const int ix = 0, ia = 1;
  c.inputs.push_back({g.normal(n)});
  c.inputs.push_back({g.normal(n)});
  const int ib = o.b ? int(c.inputs.size()) : -1;
  if (o.b) c.inputs.push_back({g.normal(n)});
  const int in_ = o.noise ? int(c.inputs.size()) : -1;
  if (o.noise) c.inputs.push_back({g.normal(n)});
  const int is = o.noise_std ? int(c.inputs.size()) : -1;
  if (o.noise_std) c.inputs.push_back({g.uniform(n, 0.05, 1.0)});
  c.outputs = {n};
  if (o.x0_out) c.outputs.push_back(n);
  if (o.in_place) c.inout = ix, c.timed = false;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_guided_step(s, dt, n, in[ix], in[ia], ib >= 0 ? in[ib] : nullptr, scale, px, pg,
                           o.clip, qx, q0, qn, in_ >= 0 ? in[in_] : nullptr,
                           is >= 0 ? in[is] : nullptr, out[0], o.x0_out ? out[1] : nullptr);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    ref::StepResult r = ref::guided_step(in[ix], in[ia], ib >= 0 ? &in[ib] : nullptr, scale, px,
                                         pg, o.clip, qx, q0, qn, in_ >= 0 ? &in[in_] : nullptr,
                                         is >= 0 ? &in[is] : nullptr);
    std::vector<ref::Result> out{r.out};
    if (o.x0_out) out.push_back(r.x0);
    return out;
  };
  return c;
}

struct NormOptions {
  bool affine, ada, silu;
  double mean;    // offset of x: a one-pass variance must survive it
  double stddev;  // 0.01: var 1e-4 against eps 1e-5, so eps must sit inside the square root
};

Case group_norm_case(Gen& g, int64_t batch, int64_t channels, int64_t spatial, int64_t groups,
                     NormOptions o) {
  const float eps = 1e-5f;
  // ADM's emb_out chunk: scale and shift interleaved per sample in one (batch, 2C + pad) buffer.
  const int64_t ss_stride = 2 * channels + 3;
  Case c;
  c.kernel = "group_norm";
  c.shape = fmt("(%lld,%lld,%lld) G=%lld x~N(%g,%g)%s%s%s", (long long)batch,
                (long long)channels, (long long)spatial, (long long)groups, o.mean, o.stddev,
                o.affine ? " +affine" : "", o.ada ? " +ada" : "", o.silu ? " +silu" : "");
  c.inputs.push_back({g.normal(batch * channels * spatial, o.mean, o.stddev)});
  if (o.affine) {
    c.inputs.push_back({g.normal(channels, 1.0, 0.2)});
    c.inputs.push_back({g.normal(channels, 0.0, 0.5)});
  }
  const int iss = int(c.inputs.size());
  if (o.ada) c.inputs.push_back({g.normal(batch * ss_stride, 0.0, 0.5)});
  c.outputs = {batch * channels * spatial};
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_group_norm(s, dt, batch, channels, spatial, groups, eps, in[0],
                          o.affine ? in[1] : nullptr, o.affine ? in[2] : nullptr,
                          o.ada ? in[iss] : nullptr, o.ada ? offset(in[iss], channels, dt) : nullptr,
                          ss_stride, o.silu ? 1 : 0, out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    ref::Vec shift;
    if (o.ada) shift.assign(in[iss].begin() + channels, in[iss].end());
    return std::vector<ref::Result>{ref::group_norm(
        batch, channels, spatial, groups, eps, in[0], o.affine ? &in[1] : nullptr,
        o.affine ? &in[2] : nullptr, o.ada ? &in[iss] : nullptr, o.ada ? &shift : nullptr,
        ss_stride, o.silu)};
  };
  return c;
}

const char* layout_name(int layout) {
  return layout == G4J_QKV_LEGACY ? "legacy" : layout == G4J_QKV_NEW_ORDER ? "new" : "edm2";
}

Case attention_case(Gen& g, int64_t batch, int64_t heads, int64_t head_dim, int64_t tokens,
                    int layout, float scale, double stddev) {
  Case c;
  c.kernel = "attention";
  c.shape = fmt("B=%lld H=%lld D=%lld T=%lld %s s=%.3g", (long long)batch, (long long)heads,
                (long long)head_dim, (long long)tokens, layout_name(layout), scale);
  c.inputs.push_back({g.normal(batch * 3 * heads * head_dim * tokens, 0.0, stddev)});
  c.outputs = {batch * heads * head_dim * tokens};
  c.sampled = true;
  c.flops = 4.0 * batch * heads * tokens * tokens * head_dim;
  // F16/BF16 attention rounds two things, as PyTorch's flash scaled_dot_product_attention does:
  // the softmax weights P (to the storage type, as the A operand of P V) and the output; each
  // adds a relative RMS error of about u / sqrt(3). Measured on an H200 (B=16 H=6 D=64 T=1024,
  // bf16, the same inputs; tools/attention_sdpa.py): this kernel 2.22e-3 = 0.57u, SDPA
  // 2.23e-3, guided-diffusion's own attention under bf16 autocast 5.06e-3 = 1.3u. The bound,
  // 2u of relative L2, is tighter than flash-attention's own test rule (at most twice the
  // error of the plain same-precision implementation: 2.6u here).
  c.half_l2_units = 2;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_attention(s, dt, batch, heads, head_dim, tokens, layout, scale, in[0], out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample* sample) {
    ref::Result r;
    r.resize(batch * heads * head_dim * tokens);
    std::set<std::tuple<int64_t, int64_t, int64_t>> columns;  // (b, h, t): one softmax each
    for_each_index(int64_t(r.value.size()), sample, [&](int64_t i) {
      const int64_t t = i % tokens, hc = (i / tokens) % (heads * head_dim);
      columns.insert({i / (tokens * heads * head_dim), hc / head_dim, t});
    });
    for (auto [b, h, t] : columns)
      ref::attention_column(b, h, t, heads, head_dim, tokens, layout, scale, in[0],
                            [&](int64_t i, double v, double m) { r.value[i] = v, r.mag[i] = m; });
    return std::vector<ref::Result>{r};
  };
  return c;
}

Case conv2d_case(Gen& g, ref::Conv2dShape sh, bool bias, bool residual) {
  Case c;
  c.kernel = fmt("conv2d %lldx%lld/%lld", (long long)sh.kernel, (long long)sh.kernel,
                 (long long)sh.stride);
  c.shape = fmt("B=%lld %lld->%lld %lldx%lld p=%lld%s%s", (long long)sh.batch,
                (long long)sh.in_channels, (long long)sh.out_channels, (long long)sh.height,
                (long long)sh.width, (long long)sh.padding, bias ? " +bias" : "",
                residual ? " +res" : "");
  const int64_t fan_in = sh.in_channels * sh.kernel * sh.kernel;
  c.inputs.push_back({g.normal(sh.batch * sh.in_channels * sh.height * sh.width)});
  c.inputs.push_back({g.normal(sh.out_channels * fan_in, 0.0, 1.0 / std::sqrt(double(fan_in)))});
  const int ib = bias ? int(c.inputs.size()) : -1;
  if (bias) c.inputs.push_back({g.normal(sh.out_channels, 0.0, 0.5)});
  const int ir = residual ? int(c.inputs.size()) : -1;
  if (residual) c.inputs.push_back({g.normal(sh.out_size())});
  c.outputs = {sh.out_size()};
  c.sampled = true;
  c.flops = 2.0 * sh.out_size() * fan_in;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_conv2d(s, dt, sh.batch, sh.in_channels, sh.height, sh.width, sh.out_channels,
                      sh.kernel, sh.stride, sh.padding, in[0], in[1], ib >= 0 ? in[ib] : nullptr,
                      ir >= 0 ? in[ir] : nullptr, out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample* sample) {
    ref::Result r;
    r.resize(sh.out_size());
    for_each_index(sh.out_size(), sample, [&](int64_t i) {
      ref::conv2d_at(sh, in[0], in[1], ib >= 0 ? &in[ib] : nullptr, ir >= 0 ? &in[ir] : nullptr,
                     i, &r.value[i], &r.mag[i]);
    });
    return std::vector<ref::Result>{r};
  };
  return c;
}

// Leading dimensions and batch strides are padded past their minimum (pad elements), so a kernel
// that assumes packed operands reads the wrong elements; C's padding must stay untouched.
Case gemm_case(Gen& g, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
               float beta, int64_t batch, int64_t pad, bool shared_b) {
  ref::GemmShape sh;
  sh.trans_a = ta, sh.trans_b = tb, sh.m = m, sh.n = n, sh.k = k, sh.batch = batch;
  sh.alpha = alpha, sh.beta = beta;
  const int64_t a_rows = ta ? k : m, b_rows = tb ? n : k;
  sh.lda = (ta ? m : k) + pad, sh.ldb = (tb ? k : n) + pad, sh.ldc = n + pad;
  sh.stride_a = a_rows * sh.lda + pad;
  sh.stride_b = shared_b ? 0 : b_rows * sh.ldb + pad;
  sh.stride_c = m * sh.ldc + pad;
  const int64_t c_size = batch * sh.stride_c;
  Case c;
  c.kernel = "gemm";
  c.shape = fmt("%c%c %lldx%lldx%lld b=%lld a=%g beta=%g%s%s", ta ? 't' : 'n', tb ? 't' : 'n',
                (long long)m, (long long)n, (long long)k, (long long)batch, alpha, beta,
                pad ? " +pad" : "", shared_b ? " B shared" : "");
  c.inputs.push_back({g.normal(batch * sh.stride_a)});
  c.inputs.push_back({g.normal(shared_b ? b_rows * sh.ldb : batch * sh.stride_b)});
  if (beta != 0.0f) {
    c.inputs.push_back({g.normal(c_size)});
    c.inout = 2;  // C is read: it starts from these values instead of NaN
  }
  c.outputs = {c_size};
  c.sampled = true;
  c.flops = 2.0 * m * n * k * batch;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_gemm(s, dt, ta, tb, m, n, k, alpha, in[0], sh.lda, sh.stride_a, in[1], sh.ldb,
                    sh.stride_b, beta, out[0], sh.ldc, sh.stride_c, batch);
  };
  c.reference = [=](const RefIn& in, const Sample* sample) {
    const ref::Vec none;
    const ref::Vec& c0 = beta != 0.0f ? in[2] : none;
    ref::Result r;
    r.resize(c_size);
    for_each_index(c_size, sample, [&](int64_t idx) {
      const int64_t i = idx / sh.stride_c, row = (idx % sh.stride_c) / sh.ldc,
                    col = (idx % sh.stride_c) % sh.ldc;
      if (row < m && col < n) {
        ref::gemm_at(sh, in[0], in[1], c0, i, row, col, &r.value[idx], &r.mag[idx]);
      } else {
        // Padding: unchanged, i.e. still NaN when C was poisoned.
        r.value[idx] = beta != 0.0f ? c0[idx] : NAN;
      }
    });
    return std::vector<ref::Result>{r};
  };
  return c;
}

Case linear_case(Gen& g, int64_t rows, int64_t in_f, int64_t out_f, bool bias) {
  Case c;
  c.kernel = "linear";
  c.shape = fmt("rows=%lld %lld->%lld%s", (long long)rows, (long long)in_f, (long long)out_f,
                bias ? " +bias" : "");
  c.inputs.push_back({g.normal(rows * in_f)});
  c.inputs.push_back({g.normal(out_f * in_f, 0.0, 1.0 / std::sqrt(double(in_f)))});
  if (bias) c.inputs.push_back({g.normal(out_f, 0.0, 0.5)});
  c.outputs = {rows * out_f};
  c.sampled = true;
  c.flops = 2.0 * rows * in_f * out_f;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_linear(s, dt, rows, in_f, out_f, in[0], in[1], bias ? in[2] : nullptr, out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample* sample) {
    ref::Result r;
    r.resize(rows * out_f);
    for_each_index(rows * out_f, sample, [&](int64_t i) {
      ref::linear_at(in_f, in[0], in[1], bias ? &in[2] : nullptr, i / out_f, i % out_f,
                     &r.value[i], &r.mag[i]);
    });
    return std::vector<ref::Result>{r};
  };
  return c;
}

struct TableOptions {
  int64_t rows;  // table_rows; 0: no table
  bool edm2;     // EDM2's one-hot linear (columns of a weight) rather than ADM's row table
  bool invalid;  // one index outside [0, rows): that row must be NaN
};

Case embed_linear_case(Gen& g, int64_t rows, int64_t in, int64_t outf, bool bias,
                       TableOptions t, bool silu) {
  const int64_t index_stride = t.edm2 ? 1 : outf, feature_stride = t.edm2 ? t.rows : 1;
  Case c;
  c.kernel = "embed_linear";
  c.shape = fmt("rows=%lld %lld->%lld%s%s%s%s", (long long)rows, (long long)in, (long long)outf,
                bias ? " +bias" : "",
                t.rows > 0 ? fmt(" +%s table of %lld", t.edm2 ? "edm2" : "adm", (long long)t.rows).c_str() : "",
                t.invalid ? " +bad index" : "", silu ? " +silu" : "");
  c.inputs.push_back({g.normal(rows * in)});
  c.inputs.push_back({g.normal(outf * in, 0.0, 1.0 / std::sqrt(double(in)))});
  const int ib = bias ? int(c.inputs.size()) : -1;
  if (bias) c.inputs.push_back({g.normal(outf, 0.0, 0.5)});
  const int it = t.rows > 0 ? int(c.inputs.size()) : -1;
  if (t.rows > 0) {
    c.inputs.push_back({g.normal(t.rows * outf)});
    std::vector<float> index(rows);
    for (int64_t i = 0; i < rows; ++i) index[i] = float((i * 7 + 3) % t.rows);
    if (t.invalid) index[rows / 2] = float(t.rows);
    c.inputs.push_back({index, true});
  }
  c.outputs = {rows * outf};
  c.flops = 2.0 * rows * in * outf;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in_, const Ptrs& out) {
    return g4j_embed_linear(s, dt, rows, in, outf, in_[0], in_[1], ib >= 0 ? in_[ib] : nullptr,
                            it >= 0 ? in_[it] : nullptr,
                            it >= 0 ? static_cast<const float*>(in_[it + 1]) : nullptr, t.rows,
                            index_stride, feature_stride, silu ? 1 : 0, out[0]);
  };
  c.reference = [=](const RefIn& in_, const Sample*) {
    return std::vector<ref::Result>{ref::embed_linear(
        rows, in, outf, in_[0], in_[1], ib >= 0 ? &in_[ib] : nullptr, it >= 0 ? &in_[it] : nullptr,
        it >= 0 ? &in_[it + 1] : nullptr, t.rows, index_stride, feature_stride, silu)};
  };
  return c;
}

Case scale_channels_case(Gen& g, int64_t batch, int64_t channels, int64_t spatial,
                         int64_t scale_stride, bool in_place) {
  Case c;
  c.kernel = "scale_channels";
  c.shape = fmt("(%lld,%lld,%lld) stride=%lld%s", (long long)batch, (long long)channels,
                (long long)spatial, (long long)scale_stride, in_place ? " out=x" : "");
  c.inputs.push_back({g.normal(batch * channels * spatial)});
  c.inputs.push_back({g.normal((batch - 1) * scale_stride + channels, 1.0, 0.5)});
  c.outputs = {batch * channels * spatial};
  if (in_place) c.inout = 0, c.timed = false;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_scale_channels(s, dt, batch, channels, spatial, in[0], in[1], scale_stride,
                              out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{
        ref::scale_channels(batch, channels, spatial, in[0], in[1], scale_stride)};
  };
  return c;
}

Case clamp_case(Gen& g, int64_t n, float lo, float hi, bool in_place) {
  Case c;
  c.kernel = "clamp";
  c.shape = fmt("n=%lld [%g, %g]%s", (long long)n, lo, hi, in_place ? " out=x" : "");
  c.inputs.push_back({g.normal(n, 0.0, 2.0)});
  c.outputs = {n};
  if (in_place) c.inout = 0, c.timed = false;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_clamp(s, dt, n, lo, hi, in[0], out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{ref::clamp(lo, hi, in[0])};
  };
  return c;
}

// stddev near eps: the eps term (outside the square root) then changes the result by half.
Case normalize_case(Gen& g, int64_t outer, int64_t dim, int64_t inner, double stddev,
                    bool in_place) {
  const float eps = 1e-4f;
  Case c;
  c.kernel = "normalize";
  c.shape = fmt("(%lld,%lld,%lld) x~N(0,%g)%s", (long long)outer, (long long)dim,
                (long long)inner, stddev, in_place ? " out=x" : "");
  c.inputs.push_back({g.normal(outer * dim * inner, 0.0, stddev)});
  c.outputs = {outer * dim * inner};
  if (in_place) c.inout = 0, c.timed = false;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_normalize(s, dt, outer, dim, inner, eps, in[0], out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{ref::normalize(outer, dim, inner, eps, in[0])};
  };
  return c;
}

// A device-to-device copy of n elements: the memory roofline the bench rows compare against.
Case memcpy_case(Gen& g, int64_t n) {
  Case c;
  c.kernel = "memcpy";
  c.shape = fmt("n=%lld (device copy)", (long long)n);
  c.inputs.push_back({g.normal(n)});
  c.outputs = {n};
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_memcpy(s, out[0], in[0], size_t(n) * dtype_size(dt));
  };
  c.reference = [](const RefIn& in, const Sample*) {
    ref::Result r;
    r.value = in[0];
    r.mag.resize(in[0].size());
    for (size_t i = 0; i < in[0].size(); ++i) r.mag[i] = std::fabs(in[0][i]);
    return std::vector<ref::Result>{r};
  };
  return c;
}

// Both outputs checked; stddev as in normalize_case.
Case normalize_silu_case(Gen& g, int64_t outer, int64_t dim, int64_t inner, double stddev,
                         bool in_place) {
  const float eps = 1e-4f;
  Case c;
  c.kernel = "normalize_silu";
  c.shape = fmt("(%lld,%lld,%lld) x~N(0,%g)%s", (long long)outer, (long long)dim,
                (long long)inner, stddev, in_place ? " out=x" : "");
  c.inputs.push_back({g.normal(outer * dim * inner, 0.0, stddev)});
  c.outputs = {outer * dim * inner, outer * dim * inner};
  if (in_place) c.inout = 0, c.timed = false;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_normalize_silu(s, dt, outer, dim, inner, eps, in[0], out[0], out[1]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return ref::normalize_silu(outer, dim, inner, eps, in[0]);
  };
  return c;
}

struct CatOptions {
  bool scale;          // else NULL (factor 1)
  int64_t stride;      // scale_stride: 0 (shared row) or >= channels
  bool out, silu;      // which outputs
  bool silu_in_place;  // silu_out = a (channels_b == 0, out NULL)
};

Case concat_scale_case(Gen& g, int64_t batch, int64_t ca, int64_t cb, int64_t spatial,
                       CatOptions o) {
  const int64_t channels = ca + cb, n = batch * channels * spatial;
  Case c;
  c.kernel = "concat_scale";
  c.shape = fmt("B=%lld %lld+%lld x %lld%s%s%s%s", (long long)batch, (long long)ca,
                (long long)cb, (long long)spatial,
                o.scale ? fmt(" stride=%lld", (long long)o.stride).c_str() : " scale=NULL",
                o.out ? " +out" : "", o.silu ? " +silu" : "", o.silu_in_place ? " silu=a" : "");
  c.inputs.push_back({g.normal(batch * ca * spatial, 0.0, 2.0)});
  const int ib = cb > 0 ? int(c.inputs.size()) : -1;
  if (cb > 0) c.inputs.push_back({g.normal(batch * cb * spatial, 0.0, 2.0)});
  const int is = o.scale ? int(c.inputs.size()) : -1;
  if (o.scale) c.inputs.push_back({g.normal(o.stride == 0 ? channels : (batch - 1) * o.stride + channels, 1.0, 0.5)});
  if (o.out) c.outputs.push_back(n);
  if (o.silu) c.outputs.push_back(n);
  if (o.silu_in_place) c.inout = 0, c.timed = false;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_concat_scale(s, dt, batch, ca, cb, spatial, in[0], ib >= 0 ? in[ib] : nullptr,
                            is >= 0 ? in[is] : nullptr, o.stride, o.out ? out[0] : nullptr,
                            o.silu ? out[o.out ? 1 : 0] : nullptr);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    std::vector<ref::Result> r = ref::concat_scale(batch, ca, cb, spatial, in[0],
                                                   ib >= 0 ? &in[ib] : nullptr,
                                                   is >= 0 ? &in[is] : nullptr, o.stride);
    std::vector<ref::Result> want;
    if (o.out) want.push_back(r[0]);
    if (o.silu) want.push_back(r[1]);
    return want;
  };
  return c;
}

Case axpby_clamp_case(Gen& g, int64_t n, float alpha, float beta, float lo, float hi,
                      bool in_place) {
  Case c;
  c.kernel = "axpby_clamp";
  c.shape = fmt("n=%lld a=%g b=%g [%g, %g]%s", (long long)n, alpha, beta, lo, hi,
                in_place ? " out=y" : "");
  c.inputs.push_back({g.normal(n, 0.0, 2.0)});
  c.inputs.push_back({g.normal(n, 0.0, 2.0)});
  c.outputs = {n};
  if (in_place) c.inout = 1, c.timed = false;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_axpby_clamp(s, dt, n, alpha, in[0], beta, in[1], lo, hi, out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{ref::axpby_clamp(alpha, in[0], beta, in[1], lo, hi)};
  };
  return c;
}

Case upsample_case(Gen& g, int64_t planes, int64_t h, int64_t w) {
  Case c;
  c.kernel = "upsample_nearest2x";
  c.shape = fmt("(%lld,%lld,%lld)", (long long)planes, (long long)h, (long long)w);
  c.inputs.push_back({g.normal(planes * h * w)});
  c.outputs = {planes * 4 * h * w};
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_upsample_nearest2x(s, dt, planes, h, w, in[0], out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{ref::upsample_nearest2x(planes, h, w, in[0])};
  };
  return c;
}

Case avg_pool_case(Gen& g, int64_t planes, int64_t h, int64_t w) {
  Case c;
  c.kernel = "avg_pool2x2";
  c.shape = fmt("(%lld,%lld,%lld)", (long long)planes, (long long)h, (long long)w);
  c.inputs.push_back({g.normal(planes * h * w)});
  c.outputs = {planes * (h / 2) * (w / 2)};
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_avg_pool2x2(s, dt, planes, h, w, in[0], out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{ref::avg_pool2x2(planes, h, w, in[0])};
  };
  return c;
}

Case timestep_case(Gen& g, int64_t n, int64_t dim, float max_period) {
  Case c;
  c.kernel = "timestep_embedding";
  c.shape = fmt("n=%lld dim=%lld period=%g", (long long)n, (long long)dim, max_period);
  std::vector<float> t = g.uniform(n, 0.0, 1000.0);
  t[0] = 0.0f;  // the first diffusion step: cos = 1, sin = 0 exactly
  t[n - 1] = 999.0f;
  c.inputs.push_back({t, true});
  c.outputs = {n * dim};
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_timestep_embedding(s, dt, n, dim, max_period, static_cast<const float*>(in[0]),
                                  out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{ref::timestep_embedding(n, dim, max_period, in[0])};
  };
  return c;
}

Case randn_case(uint64_t seed, uint32_t stream_id, int64_t first, int64_t n_samples,
                int64_t per_sample) {
  Case c;
  c.kernel = "randn";
  c.shape = fmt("seed=%#llx id=%u first=%lld n=%lld per=%lld", (unsigned long long)seed,
                stream_id, (long long)first, (long long)n_samples, (long long)per_sample);
  c.outputs = {n_samples * per_sample};
  c.run = [=](g4j_stream* s, int dt, const Ptrs&, const Ptrs& out) {
    return g4j_randn(s, dt, seed, stream_id, first, n_samples, per_sample, out[0]);
  };
  c.reference = [=](const RefIn&, const Sample*) {
    return std::vector<ref::Result>{ref::randn(seed, stream_id, first, n_samples, per_sample)};
  };
  return c;
}

// ---- backward ops and sampler helpers -----------------------------------------------------------

Case conv2d_backward_case(Gen& g, ref::Conv2dShape sh) {
  Case c;
  c.kernel = fmt("conv2d_bwd %lldx%lld/%lld", (long long)sh.kernel, (long long)sh.kernel,
                 (long long)sh.stride);
  c.shape = fmt("B=%lld %lld->%lld %lldx%lld p=%lld", (long long)sh.batch,
                (long long)sh.in_channels, (long long)sh.out_channels, (long long)sh.height,
                (long long)sh.width, (long long)sh.padding);
  const int64_t fan_in = sh.in_channels * sh.kernel * sh.kernel;
  const int64_t in_size = sh.batch * sh.in_channels * sh.height * sh.width;
  c.inputs.push_back({g.normal(sh.out_size())});
  c.inputs.push_back({g.normal(sh.out_channels * fan_in, 0.0, 1.0 / std::sqrt(double(fan_in)))});
  c.outputs = {in_size};
  c.flops = 2.0 * sh.out_size() * fan_in;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_conv2d_backward_input(s, dt, sh.batch, sh.in_channels, sh.height, sh.width,
                                     sh.out_channels, sh.kernel, sh.stride, sh.padding, in[0],
                                     in[1], out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{ref::conv2d_backward_input(sh, in[0], in[1])};
  };
  return c;
}

Case group_norm_backward_case(Gen& g, int64_t batch, int64_t channels, int64_t spatial,
                              int64_t groups, NormOptions o) {
  const float eps = 1e-5f;
  const int64_t ss_stride = 2 * channels + 3;
  Case c;
  c.kernel = "group_norm_bwd";
  c.shape = fmt("(%lld,%lld,%lld) G=%lld x~N(%g,%g)%s%s%s", (long long)batch,
                (long long)channels, (long long)spatial, (long long)groups, o.mean, o.stddev,
                o.affine ? " +affine" : "", o.ada ? " +ada" : "", o.silu ? " +silu" : "");
  const int64_t n = batch * channels * spatial;
  c.inputs.push_back({g.normal(n, o.mean, o.stddev)});
  c.inputs.push_back({g.normal(n)});  // dy
  if (o.affine) {
    c.inputs.push_back({g.normal(channels, 1.0, 0.2)});
    c.inputs.push_back({g.normal(channels, 0.0, 0.5)});
  }
  const int iss = int(c.inputs.size());
  if (o.ada) c.inputs.push_back({g.normal(batch * ss_stride, 0.0, 0.5)});
  c.outputs = {n};
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_group_norm_backward(
        s, dt, batch, channels, spatial, groups, eps, in[0], o.affine ? in[2] : nullptr,
        o.affine ? in[3] : nullptr, o.ada ? in[iss] : nullptr,
        o.ada ? offset(in[iss], channels, dt) : nullptr, ss_stride, o.silu ? 1 : 0, in[1], out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    ref::Vec shift;
    if (o.ada) shift.assign(in[iss].begin() + channels, in[iss].end());
    return std::vector<ref::Result>{ref::group_norm_backward(
        batch, channels, spatial, groups, eps, in[0], o.affine ? &in[2] : nullptr,
        o.affine ? &in[3] : nullptr, o.ada ? &in[iss] : nullptr, o.ada ? &shift : nullptr,
        ss_stride, o.silu, in[1])};
  };
  return c;
}

Case attention_backward_case(Gen& g, int64_t batch, int64_t heads, int64_t head_dim,
                             int64_t tokens, int layout, float scale, double stddev) {
  Case c;
  c.kernel = "attention_bwd";
  c.shape = fmt("B=%lld H=%lld D=%lld T=%lld %s s=%.3g", (long long)batch, (long long)heads,
                (long long)head_dim, (long long)tokens, layout_name(layout), scale);
  c.inputs.push_back({g.normal(batch * 3 * heads * head_dim * tokens, 0.0, stddev)});
  c.inputs.push_back({g.normal(batch * heads * head_dim * tokens)});
  c.outputs = {batch * 3 * heads * head_dim * tokens};
  c.flops = 10.0 * batch * heads * tokens * tokens * head_dim;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_attention_backward(s, dt, batch, heads, head_dim, tokens, layout, scale, in[0],
                                  in[1], out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{
        ref::attention_backward(batch, heads, head_dim, tokens, layout, scale, in[0], in[1])};
  };
  return c;
}

Case avg_pool_backward_case(Gen& g, int64_t planes, int64_t h, int64_t w) {
  Case c;
  c.kernel = "avg_pool2x2_bwd";
  c.shape = fmt("(%lld,%lld,%lld)", (long long)planes, (long long)h, (long long)w);
  c.inputs.push_back({g.normal(planes * (h / 2) * (w / 2))});
  c.outputs = {planes * h * w};
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_avg_pool2x2_backward(s, dt, planes, h, w, in[0], out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{ref::avg_pool2x2_backward(planes, h, w, in[0])};
  };
  return c;
}

// min_log / max_log like a DDPM step's log posterior variance and log beta (e.g. t = 1 of the
// linear schedule, -13.3 and -9.2, or late steps near -4); v spans the model's usual [-1, 1].
Case learned_range_case(Gen& g, int64_t n, float min_log, float max_log, bool in_place) {
  Case c;
  c.kernel = "learned_range_std";
  c.shape = fmt("n=%lld min=%g max=%g%s", (long long)n, min_log, max_log,
                in_place ? " out=v" : "");
  c.inputs.push_back({g.uniform(n, -1.2, 1.2)});
  c.outputs = {n};
  if (in_place) c.inout = 0, c.timed = false;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_learned_range_std(s, dt, n, in[0], min_log, max_log, out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{ref::learned_range_std(in[0], min_log, max_log)};
  };
  return c;
}

// CFG rescale over (batch, per_sample); `offset` shifts a and b (a mean far from 0 against the
// spread, which a one-pass variance without a shift would lose).
Case cfg_rescale_case(Gen& g, int64_t batch, int64_t per_sample, float scale, float phi,
                      double offset, bool out_is_a) {
  const int64_t n = batch * per_sample;
  Case c;
  c.kernel = "cfg_rescale";
  c.shape = fmt("(%lld,%lld) scale=%g phi=%g%s%s", (long long)batch, (long long)per_sample,
                scale, phi, offset != 0 ? fmt(" mean=%g", offset).c_str() : "",
                out_is_a ? " out=a" : "");
  c.inputs.push_back({g.normal(n, offset, 1.0)});
  c.inputs.push_back({g.normal(n, offset, 0.8)});
  c.outputs = {n};
  if (out_is_a) c.inout = 0, c.timed = false;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    return g4j_cfg_rescale(s, dt, batch, per_sample, in[0], in[1], scale, phi, out[0]);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    return std::vector<ref::Result>{ref::cfg_rescale(batch, per_sample, in[0], in[1], scale, phi)};
  };
  return c;
}

struct ApgOptions {
  bool x;            // px != 0 (an eps model's x0 map), else px = 0, pg = 1 and x NULL
  bool momentum;     // momentum_in given; its update is output 0, in place (momentum_out = momentum_in)
  bool threshold;    // a norm threshold between the samples' norms: some clipped, some not
  bool out_is_b;     // out aliases b (then no momentum_out)
  float eta;
};

// APG over (batch, per_sample): x, a, b like an eps model's input and outputs at sigma 1.7
// (px = sqrt(1 + sigma^2), pg = -sigma); the samples' b - a scaled differently so that their
// norms straddle the threshold.
Case apg_case(Gen& g, int64_t batch, int64_t per_sample, ApgOptions o) {
  const int64_t n = batch * per_sample;
  const float sigma = 1.7f, scale = 4.5f, beta = -0.5f;
  const float px = o.x ? std::sqrt(1.0f + sigma * sigma) : 0.0f, pg = o.x ? -sigma : 1.0f;
  Case c;
  c.kernel = "apg";
  std::vector<float> a = g.normal(n), b = a;
  const std::vector<float> delta = g.normal(n, 0.0, 0.3);
  double median_norm = 0.0;
  std::vector<double> norms;
  for (int64_t s = 0; s < batch; ++s) {
    const double f = 0.5 + double(s % 4);  // 0.5, 1.5, 2.5, 3.5
    double q = 0.0;
    for (int64_t i = s * per_sample; i < (s + 1) * per_sample; ++i) {
      b[i] = float(a[i] + f * delta[i]);
      q += double(pg) * double(pg) * double(b[i] - a[i]) * double(b[i] - a[i]);
    }
    norms.push_back(std::sqrt(q));
  }
  std::sort(norms.begin(), norms.end());
  median_norm = norms[norms.size() / 2];
  const float threshold = o.threshold ? float(median_norm) : 0.0f;
  c.shape = fmt("(%lld,%lld) %s eta=%g%s%s%s", (long long)batch, (long long)per_sample,
                o.x ? "eps" : "x0", o.eta, o.momentum ? " +momentum(in place)" : "",
                o.threshold ? " +threshold" : "", o.out_is_b ? " out=b" : "");
  int ix = -1;
  if (o.x) {
    ix = int(c.inputs.size());
    c.inputs.push_back({g.normal(n, 0.0, std::sqrt(1.0 + sigma * sigma))});
  }
  const int ia = int(c.inputs.size());
  c.inputs.push_back({a});
  const int ib = int(c.inputs.size());
  c.inputs.push_back({b});
  int im = -1;
  if (o.momentum) {
    im = int(c.inputs.size());
    c.inputs.push_back({g.normal(n, 0.0, 0.5)});
  }
  // outputs: [momentum_out (in place),] out
  if (o.momentum) {
    c.outputs = {n, n};
    c.inout = im;
  } else {
    c.outputs = {n};
    if (o.out_is_b) c.inout = ib;
  }
  c.timed = !o.momentum && !o.out_is_b;
  c.run = [=](g4j_stream* s, int dt, const Ptrs& in, const Ptrs& out) {
    void* m_out = o.momentum ? out[0] : nullptr;
    void* res = o.momentum ? out[1] : out[0];
    return g4j_apg(s, dt, batch, per_sample, ix >= 0 ? in[ix] : nullptr, in[ia], in[ib], px, pg,
                   scale, o.eta, threshold, beta, im >= 0 ? in[im] : nullptr, m_out, res);
  };
  c.reference = [=](const RefIn& in, const Sample*) {
    ref::ApgResult r = ref::apg(batch, per_sample, ix >= 0 ? &in[ix] : nullptr, in[ia], in[ib], px,
                                pg, scale, o.eta, threshold, beta, im >= 0 ? &in[im] : nullptr);
    if (o.momentum) return std::vector<ref::Result>{r.momentum, r.out};
    return std::vector<ref::Result>{r.out};
  };
  return c;
}

// ---- the case lists ---------------------------------------------------------------------------

std::vector<Case> quick_cases(Gen& g) {
  std::vector<Case> v;
  v.push_back(axpby_case(g, 1031, 0.7f, -1.3f, true, false));
  v.push_back(axpby_case(g, 1, 2.5f, 0.0f, false, false));
  v.push_back(axpby_case(g, 77, -0.5f, 2.0f, true, true));
  v.push_back(silu_case(g, 1031, false));
  v.push_back(silu_case(g, 33, true));
  v.push_back(channel_bias_case(g, 3, 37, 35, 2 * 37 + 1, false));
  v.push_back(channel_bias_case(g, 1, 5, 1, 5, false));
  v.push_back(channel_bias_case(g, 3, 7, 9, 7, true));
  v.push_back(guided_combine_case(g, 4099, 7.5f, false));
  v.push_back(guided_combine_case(g, 1, -0.5f, false));
  v.push_back(guided_combine_case(g, 65, 2.0f, true));
  v.push_back(guided_step_case(g, 3 * 3 * 17 * 19, {true, true, true, true, false, 1.0f}));
  v.push_back(guided_step_case(g, 1001, {false, false, false, false, false, 0.0f}));
  v.push_back(guided_step_case(g, 257, {true, true, false, true, true, 1.0f}));
  v.push_back(guided_step_case(g, 5, {false, true, true, false, true, 0.0f}));
  v.push_back(group_norm_case(g, 3, 42, 17 * 19, 7, {true, false, true, 0.0, 1.5}));
  v.push_back(group_norm_case(g, 1, 6, 1, 3, {false, false, false, 0.0, 1.0}));
  v.push_back(group_norm_case(g, 3, 45, 64, 3, {true, true, true, 0.5, 1.0}));
  v.push_back(group_norm_case(g, 1, 7, 5, 7, {false, true, false, 4.0, 1.5}));
  v.push_back(group_norm_case(g, 2, 12, 9, 4, {true, false, false, 0.0, 0.01}));
  // The CUDA kernel's paths, one group each (F16/BF16 vectors hold 8 values, F32 4): 2, 4, 8 and
  // 16 vectors per thread, chunked groups (F32 from 6 x 8192 on; chunks starting mid-channel;
  // one value per vector when spatial is odd).
  v.push_back(group_norm_case(g, 1, 2, 8192, 1, {true, true, true, 0.0, 1.0}));
  v.push_back(group_norm_case(g, 1, 4, 8192, 1, {false, true, false, -3.0, 2.0}));
  v.push_back(group_norm_case(g, 1, 6, 8192, 1, {true, false, true, 50.0, 0.5}));
  v.push_back(group_norm_case(g, 1, 9, 8192, 1, {true, true, true, 0.3, 1.0}));
  v.push_back(group_norm_case(g, 1, 10, 8200, 1, {true, true, true, 2.0, 0.5}));
  v.push_back(group_norm_case(g, 1, 5, 3001, 1, {true, false, true, 0.0, 1.0}));
  // Attention: F16/BF16 run the tensor-core kernel (attention_flash.cu), whose paths are the
  // padded head dim (32, 64, 128), the tile configuration (by head dim and token count: more
  // than 256 tokens take the 128-query blocks), cp.async staging (T a multiple of 8) or element
  // loads (odd T), and masked tails of queries and keys; every one is hit below, in every layout.
  // Shapes are small: these run under the CUDA emulation too (run_smoke.sh).
  for (int layout : {G4J_QKV_LEGACY, G4J_QKV_NEW_ORDER, G4J_QKV_EDM2}) {
    v.push_back(attention_case(g, 3, 2, 16, 37, layout, 0.25f, 1.0));
    v.push_back(attention_case(g, 1, 3, 8, 1, layout, 0.35f, 1.0));
  }
  v.push_back(attention_case(g, 1, 1, 64, 70, G4J_QKV_LEGACY, 0.125f, 1.0));
  // Logits up to ~100: exp overflows float unless the softmax subtracts the row maximum.
  v.push_back(attention_case(g, 1, 2, 32, 45, G4J_QKV_NEW_ORDER, 1.0f, 2.0));
  v.push_back(attention_case(g, 2, 1, 32, 16, G4J_QKV_LEGACY, 0.18f, 1.0));
  v.push_back(attention_case(g, 1, 1, 40, 96, G4J_QKV_NEW_ORDER, 0.16f, 1.0));
  v.push_back(attention_case(g, 1, 1, 64, 136, G4J_QKV_EDM2, 0.125f, 1.0));
  // A negative scale (the softmax of -|s| q.k); 128-query blocks with a 3-stage pipeline.
  v.push_back(attention_case(g, 1, 1, 64, 264, G4J_QKV_NEW_ORDER, -0.125f, 1.0));
  v.push_back(attention_case(g, 1, 1, 64, 257, G4J_QKV_LEGACY, 0.125f, 1.0));
  v.push_back(attention_case(g, 1, 1, 128, 72, G4J_QKV_LEGACY, 0.09f, 1.0));
  v.push_back(attention_case(g, 1, 1, 96, 40, G4J_QKV_EDM2, 0.1f, 1.5));
  v.push_back(attention_case(g, 1, 1, 128, 131, G4J_QKV_EDM2, 0.09f, 1.0));
  v.push_back(conv2d_case(g, {3, 5, 13, 11, 7, 3, 1, 1}, true, true));
  v.push_back(conv2d_case(g, {1, 6, 9, 7, 10, 3, 2, 1}, true, false));
  v.push_back(conv2d_case(g, {3, 19, 5, 3, 11, 1, 1, 0}, false, false));
  v.push_back(conv2d_case(g, {1, 4, 7, 9, 3, 1, 2, 0}, true, true));
  v.push_back(conv2d_case(g, {1, 3, 1, 1, 5, 3, 1, 1}, true, false));
  v.push_back(conv2d_case(g, {3, 2, 8, 6, 4, 3, 2, 1}, false, true));
  v.push_back(conv2d_case(g, {1, 3, 6, 7, 2, 5, 1, 2}, true, false));
  v.push_back(conv2d_case(g, {1, 2, 3, 3, 2, 3, 1, 0}, false, false));
  // The tensor-core paths of F16/BF16 (conv2d.cu, gemm.cu): the halo kernel's tile shapes
  // (8 x 8 images two per tile, 64-column tiles with a partial second one, 16- and 32-wide),
  // 16-byte and element-wise input copies (widths 8k and odd), channel tails in and out, 1x1
  // stride 2, stride 2 and padding 0; 1x1 as GEMMs with column groups (images) aligned or not.
  // Split-K runs where the heuristic picks it (mid-size shapes on a GPU) and wherever
  // G4J_CUDA_SPLIT_K=n forces it: run these again with it set to cover that path.
  v.push_back(conv2d_case(g, {2, 20, 8, 8, 70, 3, 1, 1}, true, true));
  v.push_back(conv2d_case(g, {1, 16, 5, 72, 24, 3, 1, 1}, true, false));
  v.push_back(conv2d_case(g, {3, 33, 9, 17, 65, 3, 2, 1}, false, true));
  v.push_back(conv2d_case(g, {2, 8, 16, 16, 40, 1, 2, 0}, true, false));
  v.push_back(conv2d_case(g, {2, 24, 12, 12, 16, 3, 1, 0}, true, true));
  v.push_back(conv2d_case(g, {1, 48, 32, 32, 64, 3, 1, 1}, true, true));
  v.push_back(conv2d_case(g, {2, 24, 10, 10, 70, 1, 1, 0}, true, true));
  v.push_back(conv2d_case(g, {3, 40, 8, 8, 64, 1, 1, 0}, false, true));
  v.push_back(conv2d_case(g, {1, 13, 16, 16, 20, 1, 1, 0}, true, false));
  v.push_back(gemm_case(g, false, false, 64, 264, 48, 1.0f, 0.0f, 2, 0, false));
  v.push_back(gemm_case(g, true, false, 96, 40, 200, 0.5f, 1.0f, 1, 8, false));
  v.push_back(gemm_case(g, false, true, 72, 136, 64, 1.0f, 0.0f, 2, 8, true));
  v.push_back(gemm_case(g, true, true, 40, 48, 56, -1.0f, 0.5f, 2, 8, false));
  v.push_back(linear_case(g, 20, 64, 136, true));
  v.push_back(gemm_case(g, false, false, 13, 17, 29, 1.0f, 0.0f, 1, 0, false));
  v.push_back(gemm_case(g, true, false, 33, 7, 65, 1.0f, 0.5f, 3, 3, false));
  v.push_back(gemm_case(g, false, true, 5, 31, 9, -0.75f, 0.0f, 3, 2, true));
  v.push_back(gemm_case(g, true, true, 1, 1, 1, 2.0f, 1.0f, 1, 1, false));
  v.push_back(gemm_case(g, true, true, 19, 23, 71, 0.5f, -1.0f, 2, 0, false));
  v.push_back(linear_case(g, 3, 77, 45, true));
  v.push_back(linear_case(g, 1, 1, 3, false));
  v.push_back(embed_linear_case(g, 3, 77, 45, true, {0, false, false}, true));
  v.push_back(embed_linear_case(g, 5, 64, 13, true, {7, false, true}, true));
  v.push_back(embed_linear_case(g, 6, 128, 33, false, {10, true, false}, true));
  v.push_back(embed_linear_case(g, 1, 8, 1, false, {0, false, false}, false));
  v.push_back(upsample_case(g, 7, 5, 3));
  v.push_back(upsample_case(g, 1, 1, 1));
  v.push_back(avg_pool_case(g, 7, 9, 6));
  v.push_back(avg_pool_case(g, 3, 3, 5));
  v.push_back(timestep_case(g, 3, 7, 10000.0f));
  v.push_back(timestep_case(g, 5, 128, 10000.0f));
  v.push_back(randn_case(0x1234567890abULL, 7, 0, 3, 23));
  v.push_back(randn_case(42, 0, (int64_t(1) << 32) + 5, 2, 6));
  // Backward: stride 2 over odd sizes (the last row/column gets no gradient), 1x1 direct and
  // strided, a 5x5 kernel, an input smaller than the kernel's reach.
  v.push_back(conv2d_backward_case(g, {3, 5, 13, 11, 7, 3, 1, 1}));
  v.push_back(conv2d_backward_case(g, {2, 6, 9, 7, 10, 3, 2, 1}));
  v.push_back(conv2d_backward_case(g, {1, 4, 8, 6, 3, 3, 2, 1}));
  v.push_back(conv2d_backward_case(g, {3, 19, 5, 3, 11, 1, 1, 0}));
  v.push_back(conv2d_backward_case(g, {1, 4, 7, 9, 3, 1, 2, 0}));
  v.push_back(conv2d_backward_case(g, {1, 3, 6, 7, 2, 5, 1, 2}));
  v.push_back(conv2d_backward_case(g, {1, 3, 1, 1, 5, 3, 1, 1}));
  // F16/BF16: stride 1 runs the forward tensor-core kernels (flipped weights, padding k-1-P)
  v.push_back(conv2d_backward_case(g, {2, 20, 8, 8, 70, 3, 1, 1}));
  v.push_back(conv2d_backward_case(g, {1, 16, 12, 16, 24, 3, 1, 0}));
  v.push_back(conv2d_backward_case(g, {2, 24, 10, 10, 40, 1, 1, 0}));
  v.push_back(group_norm_backward_case(g, 3, 42, 17 * 19, 7, {true, false, true, 0.0, 1.5}));
  v.push_back(group_norm_backward_case(g, 1, 6, 1, 3, {false, false, false, 0.0, 1.0}));
  v.push_back(group_norm_backward_case(g, 3, 45, 64, 3, {true, true, true, 0.5, 1.0}));
  v.push_back(group_norm_backward_case(g, 1, 7, 5, 7, {false, true, false, 4.0, 1.5}));
  v.push_back(group_norm_backward_case(g, 2, 12, 9, 4, {true, false, false, 0.0, 0.01}));
  for (int layout : {G4J_QKV_LEGACY, G4J_QKV_NEW_ORDER, G4J_QKV_EDM2}) {
    v.push_back(attention_backward_case(g, 3, 2, 16, 37, layout, 0.25f, 1.0));
    v.push_back(attention_backward_case(g, 1, 3, 8, 1, layout, 0.35f, 1.0));
  }
  v.push_back(attention_backward_case(g, 2, 1, 64, 65, G4J_QKV_NEW_ORDER, 0.125f, 1.0));
  v.push_back(attention_backward_case(g, 1, 2, 32, 45, G4J_QKV_NEW_ORDER, 1.0f, 2.0));
  // F16/BF16 (attention_flash_backward.cu): cp.async staging (T a multiple of 8), a negative
  // scale, several key and query tiles with tails, 128-dim heads.
  v.push_back(attention_backward_case(g, 1, 1, 64, 136, G4J_QKV_LEGACY, -0.125f, 1.0));
  v.push_back(attention_backward_case(g, 1, 1, 128, 40, G4J_QKV_EDM2, 0.09f, 1.0));
  v.push_back(avg_pool_backward_case(g, 7, 9, 6));
  v.push_back(avg_pool_backward_case(g, 3, 3, 5));
  v.push_back(avg_pool_backward_case(g, 2, 2, 2));
  v.push_back(learned_range_case(g, 1031, -13.3f, -9.2f, false));
  v.push_back(learned_range_case(g, 33, -4.1f, -3.9f, true));
  v.push_back(cfg_rescale_case(g, 3, 3 * 17 * 19, 7.5f, 0.7f, 0.0, false));
  v.push_back(cfg_rescale_case(g, 5, 2, 3.0f, 1.0f, 0.0, false));
  v.push_back(cfg_rescale_case(g, 2, 4099, 5.0f, 0.5f, 40.0, true));
  v.push_back(cfg_rescale_case(g, 1, 33, 2.0f, 0.0f, 0.0, false));
  v.push_back(apg_case(g, 5, 3 * 17 * 19, {true, true, true, false, 0.0f}));
  v.push_back(apg_case(g, 4, 1, {false, false, false, false, 0.3f}));
  v.push_back(apg_case(g, 3, 4099 + 4096, {false, false, true, true, 1.0f}));
  v.push_back(apg_case(g, 2, 257, {true, false, false, false, 0.0f}));
  v.push_back(scale_channels_case(g, 3, 7, 19, 9, false));
  v.push_back(scale_channels_case(g, 2, 5, 3, 0, true));
  v.push_back(scale_channels_case(g, 4, 1, 33, 1, false));
  v.push_back(clamp_case(g, 1001, -1.5f, 2.0f, false));
  v.push_back(clamp_case(g, 37, 0.25f, 0.25f, true));
  v.push_back(normalize_case(g, 3, 13, 17, 1.0, false));
  v.push_back(normalize_case(g, 2, 1, 5, 3.0, true));
  v.push_back(normalize_case(g, 5, 7, 1, 1e-4, false));
  v.push_back(normalize_case(g, 6, 9, 3 * 11, 2.0, false));
  // The CUDA tile kernel: 1 to 16 rows per thread, 16-byte vectors (inner % 8 == 0), a partial
  // last tile, dims beyond its 4096 rows (the per-column kernel).
  v.push_back(normalize_case(g, 4, 64, 3 * 24, 1.0, true));
  v.push_back(normalize_case(g, 2, 1792, 16, 1.0, false));
  v.push_back(normalize_case(g, 1, 4100, 8, 1.0, false));
  v.push_back(normalize_silu_case(g, 3, 13, 17, 1.0, false));
  v.push_back(normalize_silu_case(g, 2, 192, 40, 2.0, true));
  v.push_back(normalize_silu_case(g, 2, 7, 256, 1e-4, false));
  v.push_back(concat_scale_case(g, 3, 5, 4, 17, {true, 0, true, true, false}));
  v.push_back(concat_scale_case(g, 2, 6, 10, 64, {true, 0, true, true, false}));
  v.push_back(concat_scale_case(g, 2, 7, 0, 64, {true, 9, false, true, true}));
  v.push_back(concat_scale_case(g, 3, 5, 0, 24, {true, 5, false, true, false}));
  v.push_back(concat_scale_case(g, 1, 3, 2, 8, {false, 0, true, false, false}));
  v.push_back(axpby_clamp_case(g, 1031, 0.6f, 0.8f, -1.5f, 2.0f, false));
  v.push_back(axpby_clamp_case(g, 4096 + 3, -0.7f, 0.7f, -256.0f, 256.0f, true));
  return v;
}

// Mid-size shapes: every kernel's main (tiled, vectorised) path rather than its edges.
std::vector<Case> default_cases(Gen& g) {
  std::vector<Case> v;
  const int64_t n = 3 * 3 * 64 * 64 + 5;
  v.push_back(axpby_case(g, n, 1.0f, 1.0f, true, false));
  v.push_back(silu_case(g, n, false));
  v.push_back(channel_bias_case(g, 2, 128, 32 * 32, 2 * 128, false));
  v.push_back(guided_combine_case(g, n, 4.0f, false));
  v.push_back(guided_step_case(g, n, {true, true, true, true, false, 1.0f}));
  v.push_back(group_norm_case(g, 2, 128, 32 * 32, 32, {true, true, true, 0.2, 1.0}));
  v.push_back(attention_case(g, 2, 4, 64, 256, G4J_QKV_LEGACY, 0.125f, 1.0));
  v.push_back(attention_case(g, 1, 3, 32, 197, G4J_QKV_EDM2, 0.18f, 1.0));
  v.push_back(attention_case(g, 2, 3, 64, 1024, G4J_QKV_NEW_ORDER, 0.125f, 1.0));
  v.push_back(attention_case(g, 1, 2, 64, 4096, G4J_QKV_LEGACY, 0.125f, 1.0));
  v.push_back(attention_case(g, 2, 4, 32, 520, G4J_QKV_NEW_ORDER, 0.18f, 1.0));
  v.push_back(attention_case(g, 1, 4, 128, 2048, G4J_QKV_NEW_ORDER, -0.09f, 1.0));
  v.push_back(attention_case(g, 1, 2, 128, 1001, G4J_QKV_EDM2, 0.09f, 1.0));
  v.push_back(attention_case(g, 16, 8, 64, 65, G4J_QKV_NEW_ORDER, 0.125f, 1.0));
  v.push_back(conv2d_case(g, {2, 64, 32, 32, 64, 3, 1, 1}, true, true));
  v.push_back(conv2d_case(g, {2, 64, 31, 33, 96, 3, 2, 1}, true, false));
  v.push_back(conv2d_case(g, {2, 96, 16, 16, 64, 1, 1, 0}, true, true));
  v.push_back(gemm_case(g, false, false, 255, 257, 129, 1.0f, 0.0f, 1, 0, false));
  v.push_back(gemm_case(g, false, true, 100, 300, 64, 0.125f, 0.0f, 4, 8, false));
  v.push_back(linear_case(g, 4, 512, 768, true));
  v.push_back(upsample_case(g, 2 * 128, 16, 16));
  v.push_back(avg_pool_case(g, 2 * 128, 32, 32));
  v.push_back(timestep_case(g, 8, 192, 10000.0f));
  v.push_back(scale_channels_case(g, 2, 128, 32 * 32, 128, false));
  v.push_back(clamp_case(g, n, -1.0f, 1.0f, false));
  v.push_back(normalize_case(g, 2, 192, 32 * 32, 1.0, false));
  v.push_back(normalize_case(g, 2 * 3, 64, 3 * 256, 1.0, false));
  v.push_back(normalize_silu_case(g, 2, 256, 32 * 32, 1.0, false));
  v.push_back(concat_scale_case(g, 2, 128, 128, 32 * 32, {true, 0, true, true, false}));
  v.push_back(axpby_clamp_case(g, n, 0.6f, 0.8f, -2.0f, 2.0f, false));
  v.push_back(conv2d_backward_case(g, {2, 64, 32, 32, 64, 3, 1, 1}));
  v.push_back(conv2d_backward_case(g, {2, 64, 31, 33, 96, 3, 2, 1}));
  v.push_back(conv2d_backward_case(g, {2, 96, 16, 16, 64, 1, 1, 0}));
  v.push_back(group_norm_backward_case(g, 2, 128, 32 * 32, 32, {true, true, true, 0.2, 1.0}));
  v.push_back(attention_backward_case(g, 2, 4, 64, 256, G4J_QKV_LEGACY, 0.125f, 1.0));
  v.push_back(attention_backward_case(g, 1, 3, 32, 197, G4J_QKV_EDM2, 0.18f, 1.0));
  v.push_back(avg_pool_backward_case(g, 2 * 128, 33, 31));
  v.push_back(learned_range_case(g, 3 * 3 * 64 * 64 + 5, -20.0f, -5.0f, false));
  v.push_back(cfg_rescale_case(g, 4, 3 * 64 * 64 + 5, 7.5f, 0.7f, 0.0, false));
  v.push_back(apg_case(g, 4, 3 * 64 * 64 + 5, {true, true, true, false, 0.0f}));
  v.push_back(apg_case(g, 2, 3 * 160 * 160 + 7, {true, false, true, false, 0.0f}));
  v.push_back(randn_case(7, 1, 0, 4, 3 * 64 * 64));
  return v;
}

// Layers of guided-diffusion's ADM at 64x64 (192 channels, attention at 32/16/8) and 256x256
// (256 channels, 64-channel heads), for timing.
std::vector<Case> bench_cases(Gen& g) {
  std::vector<Case> v;
  // Every convolution shape of ADM-64 (guided-diffusion's 64x64 conditional U-Net: 192 channels,
  // mult 1,2,3,4, 3 res blocks, BigGAN up/down, attention at 32/16/8) at batch 16, with the
  // number of times one forward runs it; the table ends with their sum per dtype.
  struct AdmConv {
    int64_t cin, cout, k, res;
    int count;
  };
  static const AdmConv kAdm64[] = {
      {3, 192, 3, 64, 1},     {192, 6, 3, 64, 1},     {192, 192, 3, 64, 10},
      {384, 192, 1, 64, 3},   {384, 192, 3, 64, 3},   {384, 384, 3, 64, 2},
      {576, 192, 1, 64, 1},   {576, 192, 3, 64, 1},   {192, 192, 3, 32, 2},
      {192, 384, 1, 32, 1},   {192, 384, 3, 32, 1},   {384, 384, 1, 32, 7},
      {384, 384, 3, 32, 9},   {384, 1152, 1, 32, 7},  {576, 384, 1, 32, 1},
      {576, 384, 3, 32, 1},   {576, 576, 3, 32, 2},   {768, 384, 1, 32, 2},
      {768, 384, 3, 32, 2},   {960, 384, 1, 32, 1},   {960, 384, 3, 32, 1},
      {384, 384, 3, 16, 2},   {384, 576, 1, 16, 1},   {384, 576, 3, 16, 1},
      {576, 576, 1, 16, 7},   {576, 576, 3, 16, 9},   {576, 1728, 1, 16, 7},
      {768, 768, 3, 16, 2},   {960, 576, 1, 16, 1},   {960, 576, 3, 16, 1},
      {1152, 576, 1, 16, 2},  {1152, 576, 3, 16, 2},  {1344, 576, 1, 16, 1},
      {1344, 576, 3, 16, 1},  {576, 576, 3, 8, 2},    {576, 768, 1, 8, 1},
      {576, 768, 3, 8, 1},    {768, 768, 1, 8, 8},    {768, 768, 3, 8, 13},
      {768, 2304, 1, 8, 8},   {1344, 768, 1, 8, 1},   {1344, 768, 3, 8, 1},
      {1536, 768, 1, 8, 3},   {1536, 768, 3, 8, 3},
  };
  for (const AdmConv& a : kAdm64) {
    v.push_back(conv2d_case(g, {16, a.cin, a.res, a.res, a.cout, a.k, 1, a.k / 2}, true, false));
    v.back().shape += fmt(" ADM64 x%d", a.count);
    v.back().per_forward = a.count;
  }
  v.push_back(conv2d_case(g, {4, 192, 64, 64, 192, 3, 1, 1}, true, false));
  v.push_back(conv2d_case(g, {4, 384, 32, 32, 384, 3, 1, 1}, true, true));
  v.push_back(conv2d_case(g, {4, 192, 64, 64, 192, 3, 2, 1}, true, false));
  v.push_back(conv2d_case(g, {4, 384, 32, 32, 768, 1, 1, 0}, true, false));
  v.push_back(conv2d_case(g, {1, 256, 256, 256, 256, 3, 1, 1}, true, true));
  // The copy rate of the largest norm's bytes (GB/s counts read + write, as for every row).
  v.push_back(memcpy_case(g, 16 * 192 * 64 * 64));
  // ADM-64's norms at batch 16 (the out norm of a ResBlock: AdaGN + SiLU), its largest group
  // (576 channels at 64x64), ADM-256's chunked groups.
  v.push_back(group_norm_case(g, 16, 192, 64 * 64, 32, {true, true, true, 0.0, 1.0}));
  v.push_back(group_norm_case(g, 16, 384, 32 * 32, 32, {true, true, true, 0.0, 1.0}));
  v.push_back(group_norm_case(g, 16, 576, 16 * 16, 32, {true, true, true, 0.0, 1.0}));
  v.push_back(group_norm_case(g, 16, 768, 8 * 8, 32, {true, true, true, 0.0, 1.0}));
  v.push_back(group_norm_case(g, 16, 576, 64 * 64, 32, {true, false, true, 0.0, 1.0}));
  v.push_back(group_norm_case(g, 4, 256, 256 * 256, 32, {true, true, true, 0.0, 1.0}));
  v.push_back(attention_case(g, 4, 4, 64, 256, G4J_QKV_LEGACY, 0.125f, 1.0));
  v.push_back(attention_case(g, 4, 4, 64, 1024, G4J_QKV_LEGACY, 0.125f, 1.0));
  v.push_back(attention_case(g, 1, 8, 64, 1024, G4J_QKV_NEW_ORDER, 0.125f, 1.0));
  v.push_back(group_norm_case(g, 4, 384, 32 * 32, 32, {true, true, true, 0.0, 1.0}));
  v.push_back(group_norm_case(g, 1, 256, 256 * 256, 32, {true, false, true, 0.0, 1.0}));
  // ADM-64's attention at batch 16 (64-channel heads, the new qkv order): 32x32 (6 heads),
  // 16x16 (9), 8x8 (12); then 4096 tokens, 128-dim heads, and the classifier's backward.
  v.push_back(attention_case(g, 16, 6, 64, 1024, G4J_QKV_NEW_ORDER, 0.125f, 1.0));
  v.push_back(attention_case(g, 16, 9, 64, 256, G4J_QKV_NEW_ORDER, 0.125f, 1.0));
  v.push_back(attention_case(g, 16, 12, 64, 64, G4J_QKV_NEW_ORDER, 0.125f, 1.0));
  v.push_back(attention_case(g, 4, 4, 64, 4096, G4J_QKV_NEW_ORDER, 0.125f, 1.0));
  v.push_back(attention_case(g, 16, 3, 128, 1024, G4J_QKV_NEW_ORDER, 0.0884f, 1.0));
  v.push_back(attention_backward_case(g, 2, 6, 64, 1024, G4J_QKV_NEW_ORDER, 0.125f, 1.0));
  v.push_back(attention_backward_case(g, 16, 8, 64, 65, G4J_QKV_NEW_ORDER, 0.125f, 1.0));
  v.push_back(linear_case(g, 4, 768, 768, true));
  // ADM-64's time_embed MLP at CFG batch 16 (32 rows), the second layer with the label table.
  v.push_back(embed_linear_case(g, 32, 192, 768, true, {0, false, false}, true));
  v.push_back(embed_linear_case(g, 32, 768, 768, true, {1001, false, false}, true));
  // EDM2-S (img64) at batch 16: pixel norm (+ mp_silu) of 192 channels at 64x64 and of 768 at
  // 8x8, the q/k/v norm at 16x16 (9 heads of 64), a decoder's mp_cat (+ mp_silu) at 64x64, the
  // residual branch's scale + mp_silu, mp_sum + clip_act.
  v.push_back(normalize_silu_case(g, 16, 192, 64 * 64, 1.0, false));
  v.push_back(normalize_silu_case(g, 16, 768, 8 * 8, 1.0, false));
  v.push_back(normalize_case(g, 16 * 9, 64, 3 * 16 * 16, 1.0, false));
  v.push_back(concat_scale_case(g, 16, 192, 192, 64 * 64, {true, 0, true, true, false}));
  v.push_back(concat_scale_case(g, 16, 192, 0, 64 * 64, {true, 192, false, true, false}));
  v.push_back(axpby_clamp_case(g, 16 * 192 * 64 * 64, 0.6f, 0.8f, -256.0f, 256.0f, false));
  v.push_back(guided_step_case(g, 8 * 3 * 256 * 256, {true, true, true, true, false, 1.0f}));
  v.push_back(cfg_rescale_case(g, 8, 3 * 256 * 256, 7.5f, 0.7f, 0.0, false));
  v.push_back(apg_case(g, 8, 3 * 256 * 256, {true, true, true, false, 0.0f}));
  v.push_back(upsample_case(g, 4 * 384, 32, 32));
  v.push_back(avg_pool_case(g, 4 * 192, 64, 64));
  v.push_back(randn_case(3, 0, 0, 8, 3 * 256 * 256));
  return v;
}

// ---- checking ---------------------------------------------------------------------------------

struct Tolerance {
  double atol;   // for results that are 0 with all their terms (below float's normal range)
  double rtol;   // per element: |got - ref| <= atol + rtol * mag
  double l2;     // relative L2 error bound (0: not checked)
};

// F32: 1e-5 of the magnitude (sum of |terms|) is ~170 float32 ulps: a rounding error grows like
// sqrt(terms) ulps for sums of random terms, ~60 ulps for the largest reductions here (conv over
// 384 x 3 x 3 inputs, softmax over 1024 tokens). No L2 bound: it would ignore conditioning
// (cos(1000 f) in float loses 1e-4 absolute, legitimately).
// F16 / BF16: the kernel's inputs are exact (the reference sees them rounded), accumulation is
// F32; the output is rounded once (1 unit u = 2^-11 / 2^-8) and fused kernels may round one or
// two intermediates (softmax weights, x0) to the storage type. 8u per element of the magnitude
// and 4u of relative L2 leave a margin of about 4 over that.
Tolerance tolerance(int dtype) {
  if (dtype == G4J_F16) return {1e-6, 1e-5 + 8 * 0x1p-11, 4 * 0x1p-11};
  if (dtype == G4J_BF16) return {1e-30, 1e-5 + 8 * 0x1p-8, 4 * 0x1p-8};
  return {1e-30, 1e-5, 0.0};
}

struct Verdict {
  double max_abs = 0, worst = 0, err2 = 0, ref2 = 0;
  int64_t bad = 0, checked = 0;
  std::vector<std::string> first_bad;
  double rel_l2() const { return ref2 > 0 ? std::sqrt(err2 / ref2) : std::sqrt(err2); }
};

void compare(const std::vector<float>& got, const ref::Result& r, const Sample* sample,
             Tolerance tol, const std::string& label, Verdict* v) {
  for_each_index(int64_t(got.size()), sample, [&](int64_t i) {
    const double want = r.value[i], have = got[i];
    ++v->checked;
    bool ok;
    double err = 0, limit = 0;
    if (std::isnan(want)) {
      ok = std::isnan(have);  // an element the op must not write
    } else {
      err = std::fabs(have - want);
      limit = tol.atol + tol.rtol * r.mag[i];
      ok = err <= limit;  // false for NaN
      v->max_abs = std::max(v->max_abs, std::isnan(err) ? INFINITY : err);
      v->worst = std::max(v->worst, std::isnan(err) ? INFINITY : err / limit);
      v->err2 += std::isnan(err) ? INFINITY : err * err;
      v->ref2 += want * want;
    }
    if (!ok) {
      ++v->bad;
      if (v->first_bad.size() < 6)
        v->first_bad.push_back(fmt("    %s[%lld]: got %.9g, expected %.9g (|err| %.3g > tol %.3g)",
                                   label.c_str(), (long long)i, have, want, err, limit));
    }
  });
}

// ---- running one case -------------------------------------------------------------------------

struct Summary {
  int cases = 0, failed = 0, api_errors = 0;
  // ADM-64 layer shapes (Case::per_forward), per backend and dtype: time and FLOPs of one
  // forward's worth of them, and how many shapes were timed
  struct Forward {
    double ms = 0, flops = 0;
    int shapes = 0;
  };
  std::map<std::string, Forward> forward;
};

constexpr int64_t kSampleAbove = 1 << 16;  // sampled cases check this many random elements
constexpr int64_t kSampleSize = 4096;

void print_header() {
  std::printf("%-20s %-7s %-4s %-50s %10s %10s %8s %9s %16s  %s\n", "kernel", "back", "type",
              "shape", "max|err|", "rel L2", "err/tol", "ms", "throughput", "result");
}

void print_row(const Case& c, const Backend& be, int dtype, const Verdict* v, double ms,
               double rate, const char* result) {
  std::string rate_text = "-";
  if (rate > 0) {
    rate_text = c.flops > 0 ? fmt("%.3g TFLOP/s", rate / 1000.0) : fmt("%.1f GB/s", rate);
  }
  std::string ms_text = ms > 0 ? fmt("%.4f", ms) : "-";
  if (v != nullptr) {
    std::printf("%-20s %-7s %-4s %-50s %10.3g %10.3g %8.3f %9s %16s  %s\n", c.kernel.c_str(),
                be.name.c_str(), dtype_name(dtype), c.shape.c_str(), v->max_abs, v->rel_l2(),
                v->worst, ms_text.c_str(), rate_text.c_str(), result);
  } else {
    std::printf("%-20s %-7s %-4s %-50s %10s %10s %8s %9s %16s  %s\n", c.kernel.c_str(),
                be.name.c_str(), dtype_name(dtype), c.shape.c_str(), "-", "-", "-", "-", "-",
                result);
  }
  std::fflush(stdout);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

void run_case(const Case& c, const Backend& be, int dtype, const Options& opt, Summary* sum) {
  ++sum->cases;
  try {
    std::vector<DevPtr> in_bufs;
    RefIn ref_in;
    Ptrs in, out;
    double bytes = 0;
    for (const Input& x : c.inputs) {
      const int dt = x.always_f32 ? G4J_F32 : dtype;
      std::vector<float> rounded;
      in_bufs.push_back(upload(be, dt, x.values, &rounded));
      in.push_back(in_bufs.back()->get());
      ref_in.emplace_back(rounded.begin(), rounded.end());
      bytes += double(x.values.size()) * dtype_size(dt);
    }
    std::vector<DevPtr> out_bufs;
    for (size_t k = 0; k < c.outputs.size(); ++k) {
      const size_t size = c.outputs[k] * dtype_size(dtype);
      bytes += double(size);
      if (k == 0 && c.inout >= 0) {
        out.push_back(in[c.inout]);
        continue;
      }
      out_bufs.push_back(std::make_unique<DevBuf>(be.stream, size));
      poison(be, out_bufs.back()->get(), size);
      out.push_back(out_bufs.back()->get());
    }

    api(c.run(be.stream, dtype, in, out), "the op");
    API(g4j_stream_synchronize(be.stream));
    std::vector<std::vector<float>> got;
    for (size_t k = 0; k < c.outputs.size(); ++k)
      got.push_back(download(be, dtype, out[k], c.outputs[k]));

    Sample sample;
    const bool sampled = c.sampled && c.outputs[0] > kSampleAbove;
    if (sampled) {
      std::mt19937_64 eng(opt.seed ^ std::hash<std::string>()(c.kernel + c.shape));
      std::uniform_int_distribution<int64_t> pick(0, c.outputs[0] - 1);
      sample = {0, c.outputs[0] - 1};
      while (int64_t(sample.size()) < kSampleSize) sample.push_back(pick(eng));
    }
    const std::vector<ref::Result> want = c.reference(ref_in, sampled ? &sample : nullptr);
    Verdict v;
    Tolerance tol = tolerance(dtype);
    if (c.half_l2_units > 0 && dtype != G4J_F32)
      tol.l2 = c.half_l2_units * (dtype == G4J_F16 ? 0x1p-11 : 0x1p-8);
    for (size_t k = 0; k < got.size(); ++k)
      compare(got[k], want[k], sampled ? &sample : nullptr, tol, k == 0 ? "out" : "out2", &v);
    const bool pass = v.bad == 0 && (tol.l2 == 0 || v.rel_l2() <= tol.l2);

    double ms = 0;
    if (c.timed && opt.timing) {
      // A few runs, fewer when each is slow (a big conv on a small CPU). With --bench on CUDA
      // each sample is `burst` runs back to back and one synchronisation (about a millisecond's
      // worth), so a kernel of a few microseconds is not measured as the host's round trip.
      auto time_burst = [&](int burst) {
        auto t0 = std::chrono::steady_clock::now();
        for (int k = 0; k < burst; ++k) api(c.run(be.stream, dtype, in, out), "the op");
        API(g4j_stream_synchronize(be.stream));
        auto t1 = std::chrono::steady_clock::now();
        return std::chrono::duration<double, std::milli>(t1 - t0).count() / burst;
      };
      int burst = 1;
      if (opt.bench && be.cuda) burst = int(std::clamp(1.0 / std::max(time_burst(1), 1e-4), 1.0, 500.0));
      std::vector<double> times;
      const int reps = opt.bench ? 10 : 3;
      double total = 0;
      for (int r = 0; r < reps && (r == 0 || total < 2000.0); ++r) {
        times.push_back(time_burst(burst));
        total += times.back() * burst;
      }
      ms = median(times);
      if (c.per_forward > 0 && ms > 0) {
        Summary::Forward& f = sum->forward[be.name + " " + dtype_name(dtype)];
        f.ms += c.per_forward * ms;
        f.flops += c.per_forward * c.flops;
        ++f.shapes;
      }
    }
    const double rate = ms <= 0 ? 0 : (c.flops > 0 ? c.flops : bytes) / (ms * 1e6);
    std::string result = pass ? "ok" : fmt("FAIL (%lld of %lld elements)", (long long)v.bad,
                                           (long long)v.checked);
    if (pass && sampled) result = fmt("ok (%lld sampled)", (long long)v.checked);
    if (v.bad == 0 && !pass) result = fmt("FAIL (rel L2 > %.3g)", tol.l2);
    print_row(c, be, dtype, &v, ms, rate, result.c_str());
    for (const std::string& line : v.first_bad) std::printf("%s\n", line.c_str());
    if (!pass) ++sum->failed;
  } catch (const ApiError& e) {
    print_row(c, be, dtype, nullptr, 0, 0, "API ERROR");
    std::printf("    %s\n", e.what.c_str());
    ++sum->api_errors;
  }
}

// ---- randn's contract beyond one call ---------------------------------------------------------

std::vector<float> randn_on(const Backend& be, int dtype, uint64_t seed, uint32_t id,
                            int64_t first, int64_t n_samples, int64_t per_sample) {
  const int64_t n = n_samples * per_sample;
  DevBuf buf(be.stream, n * dtype_size(dtype));
  poison(be, buf.get(), n * dtype_size(dtype));
  API(g4j_randn(be.stream, dtype, seed, id, first, n_samples, per_sample, buf.get()));
  return download(be, dtype, buf.get(), n);
}

// Batching must not change the numbers (sample j of a batch equals sample j drawn alone), and
// 1e5 draws must look standard normal: mean within 6 sigma (0.019) of 0, variance within
// 4.5 sigma (0.02) of 1.
void randn_contract(const Backend& be, int dtype, Summary* sum) {
  sum->cases += 2;
  try {
    const uint64_t seed = 0xfeedbeefcafeULL;
    const int64_t per = 4 * 11 + 3;
    const std::vector<float> batch = randn_on(be, dtype, seed, 5, 0, 3, per);
    int64_t differ = 0;
    for (int64_t j = 0; j < 3; ++j) {
      const std::vector<float> one = randn_on(be, dtype, seed, 5, j, 1, per);
      differ += std::memcmp(one.data(), batch.data() + j * per, per * 4) != 0;
    }
    std::printf("%-20s %-7s %-4s %-50s %s\n", "randn batching", be.name.c_str(),
                dtype_name(dtype), "3 samples at once == 3 calls of 1",
                differ == 0 ? "ok" : "FAIL (a sample differs when batched)");
    if (differ != 0) ++sum->failed;

    const int64_t n = 100000;
    const std::vector<float> z = randn_on(be, dtype, 12345, 0, 0, 1, n);
    double mean = 0, var = 0;
    for (float x : z) mean += x;
    mean /= n;
    for (float x : z) var += (x - mean) * (x - mean);
    var /= n;
    const bool ok = std::fabs(mean) < 0.019 && std::fabs(var - 1.0) < 0.02;
    std::printf("%-20s %-7s %-4s %-50s %s\n", "randn moments", be.name.c_str(),
                dtype_name(dtype), fmt("1e5 draws: mean %.4f var %.4f", mean, var).c_str(),
                ok ? "ok" : "FAIL");
    if (!ok) ++sum->failed;
  } catch (const ApiError& e) {
    std::printf("%-20s %-7s %-4s API ERROR: %s\n", "randn contract", be.name.c_str(),
                dtype_name(dtype), e.what.c_str());
    ++sum->api_errors;
  }
}

// ---- the non-finite watch --------------------------------------------------------------------

// g4j_mark_nonfinite on random samples, some holding NaN, +inf or -inf at the first, the last
// (the masked tail of a block) or a random element, beside finite extremes (FLT_MAX, denormals,
// -0) that must not count. The reference tests the values the op sees (the inputs rounded to
// `dtype`, so a value that overflows F16 counts there) in float64. first_step is in/out: it
// starts as a mix of -1 (unmarked), earlier steps and NaN poison, and every entry is compared
// exactly (NaN must stay NaN: the op must not touch marked or poisoned entries).
void nonfinite_contract(const Backend& be, int dtype, const Options& opt, Summary* sum) {
  struct Shape {
    int64_t batch, per_sample;
  };
  // 9001: three CUDA blocks per sample and a masked tail in the last
  std::vector<Shape> shapes = {{1, 1}, {3, 1001}, {64, 7}, {3, 9001}, {2, 3 * 64 * 64 + 5}};
  if (!opt.quick) shapes.push_back({5, 70001});        // several blocks and chunks per sample
  if (!opt.quick) shapes.push_back({1, 3 * 1048576 + 3});  // one big tensor (a weight at load)
  std::mt19937_64 eng(opt.seed ^ 0x6e6f6e66696e6974ULL);
  for (const Shape& sh : shapes) {
    ++sum->cases;
    const std::string shape = fmt("batch=%lld per_sample=%lld", (long long)sh.batch,
                                  (long long)sh.per_sample);
    try {
      const int64_t n = sh.batch * sh.per_sample;
      std::normal_distribution<double> normal(0.0, 1.0);
      std::vector<float> x(n);
      for (float& v : x) v = float(normal(eng));
      const float specials[] = {NAN, INFINITY, -INFINITY};
      const float finite_extremes[] = {3.4e38f, -3.4e38f, 1e-40f, -0.0f, 65504.0f};
      std::uniform_int_distribution<int64_t> pos(0, sh.per_sample - 1);
      for (int64_t b = 0; b < sh.batch; ++b) {
        float* sample = x.data() + b * sh.per_sample;
        sample[pos(eng)] = finite_extremes[eng() % 5];
        if (eng() % 2 == 0) continue;  // about half the samples stay finite (in F32)
        const int64_t where[] = {0, sh.per_sample - 1, pos(eng)};
        sample[where[eng() % 3]] = specials[eng() % 3];
      }
      std::vector<float> rounded;
      DevPtr xb = upload(be, dtype, x, &rounded);
      std::vector<float> steps(sh.batch);
      for (float& f : steps) {
        const uint64_t r = eng() % 5;
        f = r < 3 ? -1.0f : r == 3 ? float(eng() % 7) : NAN;
      }
      DevBuf sb(be.stream, sh.batch * 4);
      API(g4j_memcpy(be.stream, sb.get(), steps.data(), sh.batch * 4));
      const int32_t step = 7;
      auto t0 = std::chrono::steady_clock::now();
      API(g4j_mark_nonfinite(be.stream, dtype, sh.batch, sh.per_sample, xb->get(), step,
                             static_cast<float*>(sb.get())));
      API(g4j_stream_synchronize(be.stream));
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      // A second call at a later step changes nothing: every bad sample is marked already.
      API(g4j_mark_nonfinite(be.stream, dtype, sh.batch, sh.per_sample, xb->get(), step + 2,
                             static_cast<float*>(sb.get())));
      std::vector<float> got(sh.batch);
      API(g4j_memcpy(be.stream, got.data(), sb.get(), sh.batch * 4));
      API(g4j_stream_synchronize(be.stream));
      int64_t bad = 0, marked = 0;
      std::string first_bad;
      for (int64_t b = 0; b < sh.batch; ++b) {
        bool nonfinite = false;
        for (int64_t i = 0; i < sh.per_sample; ++i)
          nonfinite = nonfinite || !std::isfinite(double(rounded[b * sh.per_sample + i]));
        const double init = steps[b];
        const double want = nonfinite && init < 0 ? double(step) : init;
        const bool ok = std::isnan(want) ? std::isnan(got[b]) : double(got[b]) == want;
        marked += nonfinite && init < 0;
        if (!ok && bad++ == 0)
          first_bad = fmt("    first_step[%lld]: got %g, expected %g (started at %g, sample %s)",
                          (long long)b, got[b], want, init, nonfinite ? "non-finite" : "finite");
      }
      const std::string result =
          bad == 0 ? fmt("ok (%lld of %lld marked)", (long long)marked, (long long)sh.batch)
                   : fmt("FAIL (%lld of %lld entries)", (long long)bad, (long long)sh.batch);
      const double gbs = double(n) * dtype_size(dtype) / (ms * 1e6);
      std::printf("%-20s %-5s %-4s %-50s %10s %10s %8s %9.4f %11.1f GB/s  %s\n", "mark_nonfinite",
                  be.name.c_str(), dtype_name(dtype), shape.c_str(), "-", "-", "-", ms, gbs,
                  result.c_str());
      if (!first_bad.empty()) std::printf("%s\n", first_bad.c_str());
      std::fflush(stdout);
      if (bad != 0 || (marked == 0 && sh.batch > 8)) ++sum->failed;  // never vacuous
    } catch (const ApiError& e) {
      std::printf("%-20s %-5s %-4s %-50s API ERROR: %s\n", "mark_nonfinite", be.name.c_str(),
                  dtype_name(dtype), shape.c_str(), e.what.c_str());
      ++sum->api_errors;
    }
  }
}

// --only: a substring of the kernel's name, or the whole name followed by '$'.
bool selected(const std::string& kernel, const std::string& only) {
  if (!only.empty() && only.back() == '$') return kernel == only.substr(0, only.size() - 1);
  return kernel.find(only) != std::string::npos;
}

bool parse(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--quick") {
      o->quick = true;
    } else if (a == "--bench") {
      o->bench = true;
    } else if (a == "--backend" && i + 1 < argc) {
      const std::string b = argv[++i];
      if (b != "cpu" && b != "cuda" && b != "all") return false;
      o->cpu = b != "cuda";
      o->cuda = b != "cpu";
    } else if (a == "--vendor" && i + 1 < argc) {
      o->vendor = argv[++i];
      if (o->vendor != "on" && o->vendor != "off" && o->vendor != "both") return false;
    } else if (a == "--only" && i + 1 < argc) {
      o->only = argv[++i];
    } else if (a == "--no-timing") {
      o->timing = false;
    } else if (a == "--dtype" && i + 1 < argc) {
      std::string d = argv[++i];
      for (char& ch : d) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      if (d == "f32") o->dtype = G4J_F32;
      else if (d == "f16") o->dtype = G4J_F16;
      else if (d == "bf16") o->dtype = G4J_BF16;
      else return false;
    } else if (a == "--seed" && i + 1 < argc) {
      o->seed = std::strtoull(argv[++i], nullptr, 0);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse(argc, argv, &opt)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (g4j_api_version() != G4J_API_VERSION) {
    std::printf("library API version %d, this tool was built for %d\n", g4j_api_version(),
                G4J_API_VERSION);
    return 2;
  }
  if (!ref::philox_known_answers_ok()) {
    std::printf("the reference Philox4x32-10 fails Random123's known-answer vectors\n");
    return 1;
  }
  if (const double fd = ref::backward_finite_difference_error(); !(fd < 1e-7)) {
    std::printf("the backward references disagree with finite differences of the forward ones "
                "(relative error %.3g)\n", fd);
    return 1;
  }

  std::vector<Backend> backends;
  std::vector<std::vector<int>> dtypes;
  g4j_stream* cpu = nullptr;
  g4j_stream* gpu = nullptr;
  if (opt.cpu) {
    if (g4j_stream_create(-1, &cpu) != G4J_OK) {
      std::printf("g4j_stream_create(-1): %s\n", g4j_last_error());
      return 2;
    }
    int threads = 0;
    g4j_get_num_threads(&threads);
    std::printf("CPU backend: %d threads\n", threads);
    backends.push_back({"cpu", cpu, false});
    dtypes.push_back({G4J_F32});
  }
  if (opt.cuda) {
    int count = 0;
    char reason[256] = "";
    if (g4j_cuda_device_count(&count, reason, sizeof reason) != G4J_OK) {
      std::printf("g4j_cuda_device_count: %s\n", g4j_last_error());
      return 2;
    }
    if (count > 0) {
      char name[256] = "";
      size_t total = 0;
      if (g4j_cuda_device_info(0, name, sizeof name, &total) != G4J_OK ||
          g4j_stream_create(0, &gpu) != G4J_OK) {
        std::printf("CUDA device 0: %s\n", g4j_last_error());
        return 2;
      }
      std::printf("CUDA device 0: %s, %.1f GiB\n", name, total / 1073741824.0);
      std::vector<int> cuda_dtypes;
      for (int dt : {G4J_F32, G4J_F16, G4J_BF16}) {
        int supported = 0;
        if (g4j_device_supports_dtype(0, dt, &supported) == G4J_OK && supported)
          cuda_dtypes.push_back(dt);
      }
      if (opt.vendor == "both") {
        backends.push_back({"cuda-v", gpu, true, 1});
        backends.push_back({"cuda-hw", gpu, true, 0, true});
        dtypes.push_back(cuda_dtypes);
      } else {
        backends.push_back({"cuda", gpu, true, opt.vendor.empty() ? -1 : opt.vendor == "on"});
      }
      dtypes.push_back(cuda_dtypes);
      for (const Backend& be : backends) {
        if (!be.cuda) continue;
        if (be.vendor >= 0) g4j_cuda_set_vendor(be.vendor);
        char vendor[2048] = "";
        g4j_cuda_vendor_info(nullptr, vendor, sizeof vendor);
        std::printf("CUDA backend %s: %s\n", be.name.c_str(), vendor);
      }
    } else if (!opt.cpu) {
      std::printf("--backend cuda, but no CUDA device: %s\n", reason);
      return 2;
    } else {
      std::printf("CUDA backend: not run (%s)\n", reason);
    }
  }

  Gen gen(opt.seed);
  std::vector<Case> cases = quick_cases(gen);
  if (!opt.quick) {
    for (Case& c : default_cases(gen)) cases.push_back(std::move(c));
    if (opt.bench)
      for (Case& c : bench_cases(gen)) cases.push_back(std::move(c));
  }

  Summary sum;
  print_header();
  for (size_t b = 0; b < backends.size(); ++b) {
    if (backends[b].vendor >= 0) g4j_cuda_set_vendor(backends[b].vendor);
    for (int dt : dtypes[b]) {
      if (opt.dtype >= 0 && dt != opt.dtype) continue;
      for (const Case& c : cases)
        if (selected(c.kernel, opt.only) && (!backends[b].vendor_ops_only || vendor_op(c.kernel)))
          run_case(c, backends[b], dt, opt, &sum);
      if (selected("randn", opt.only) && !backends[b].vendor_ops_only)
        randn_contract(backends[b], dt, &sum);
    }
  }
  // Every dtype on every backend: the watch tests bit patterns, so the CPU takes F16/BF16 too.
  for (size_t b = 0; b < backends.size(); ++b)
    for (int dt : {G4J_F32, G4J_F16, G4J_BF16})
      if (std::string("mark_nonfinite").find(opt.only) != std::string::npos &&
          !backends[b].vendor_ops_only)
        nonfinite_contract(backends[b], dt, opt, &sum);

  if (gpu != nullptr) {
    // Which path the CUDA conv2d and gemm cases actually took (the vendor path falls back to the
    // hand-written kernels per shape where a library does not support one).
    int64_t n[4] = {0, 0, 0, 0};
    g4j_cuda_path_counts(n);
    std::printf("CUDA calls: conv2d %lld on cuDNN (1x1: cuBLASLt), %lld hand-written; "
                "gemm/linear %lld on cuBLASLt, %lld hand-written\n",
                (long long)n[0], (long long)n[1], (long long)n[2], (long long)n[3]);
    g4j_stream_destroy(gpu);
  }
  if (cpu != nullptr) g4j_stream_destroy(cpu);
  for (const auto& [key, f] : sum.forward) {
    std::printf("ADM-64 B=16 convolutions of one forward, %s: %.3f ms, %.1f TFLOP/s (%d shapes)\n",
                key.c_str(), f.ms, f.flops / (f.ms * 1e9), f.shapes);
  }
  std::printf("%d checks: %d passed, %d failed, %d API errors\n", sum.cases,
              sum.cases - sum.failed - sum.api_errors, sum.failed, sum.api_errors);
  if (sum.api_errors > 0) return 2;
  return sum.failed > 0 ? 1 : 0;
}
