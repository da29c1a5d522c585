// conv2d and conv2d_backward_input on cuDNN 9's legacy convolution API (vendor.h).
//
// As torch.backends.cudnn.benchmark does, the algorithm of each shape (dtype, sizes, pointer
// alignment) is chosen once by timing every candidate (cudnnFind...AlgorithmEx on the op's own
// tensors, a workspace from the stream-ordered pool) and cached for the process. F32 asks for
// CUDNN_FMA_MATH and accepts only algorithms that report it, so no TF32 rounding creeps in;
// F16/BF16 use tensor cores with F32 accumulation (cuDNN's PSEUDO_HALF / PSEUDO_BFLOAT16 configs:
// compute type float). A shape cuDNN does not support falls back to the hand-written kernels.
//
// g4j_conv2d's bias and residual: the convolution goes to `out`, then one pass of our own adds
// bias[c] and the residual in F32 and rounds once more (the order of PyTorch's conv + bias + add).
// The API guarantees that the residual is not `out` itself.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "common.cuh"
#include "vendor.h"

namespace g4j {
namespace vendor {

#ifdef G4J_CUDA_EMULATION

// The emulated device's memory is host memory: no vendor library can run there.
bool runs_here() { return false; }
bool try_conv2d(void*, const Conv2dArgs&) {
  count(Path::kHandConv);
  return false;
}
bool try_conv2d_backward_input(void*, const Conv2dBackwardInputArgs&) {
  count(Path::kHandConv);
  return false;
}

#else

bool runs_here() { return true; }

namespace {

using cuda::Scratch;
using cudnn::Api;
using cudnn::Status;

[[noreturn]] void fail_cudnn(const Api& a, Status s, const char* call, const std::string& what) {
  throw Error(G4J_ERR_CUDA,
              format("cuDNN error %s in %s (%s)", cudnn::status_text(a, s).c_str(), call,
                     what.c_str()));
}

// Calls a.fn(args...) and throws, naming the call, on any status but success.
#define G4J_CUDNN(a, fn, what, ...)                                        \
  do {                                                                     \
    const Status g4j_st_ = (a).fn(__VA_ARGS__);                            \
    if (g4j_st_ != cudnn::kSuccess) fail_cudnn((a), g4j_st_, "cudnn" #fn, (what)); \
  } while (0)

// cuDNN handles must not be used by two threads at once: a lease makes one handle a thread's
// until the op returns. Handles live as long as the process (at most one per concurrent caller
// and device), so no destructor calls into cuDNN during static teardown.
class HandlePool {
 public:
  // nullptr when cudnnCreate fails (then cuDNN is off for the process, with the reason).
  cudnn::Handle acquire(const Api& a, int device) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::vector<cudnn::Handle>& free = free_[device];
      if (!free.empty()) {
        cudnn::Handle h = free.back();
        free.pop_back();
        return h;
      }
    }
    cudnn::Handle h = nullptr;
    const Status s = a.Create(&h);
    if (s != cudnn::kSuccess) {
      disable_cudnn(format("cudnnCreate failed on device %d: %s", device,
                           cudnn::status_text(a, s).c_str()));
      return nullptr;
    }
    return h;
  }
  void release(int device, cudnn::Handle h) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_[device].push_back(h);
  }

 private:
  std::mutex mutex_;
  std::map<int, std::vector<cudnn::Handle>> free_;
};

HandlePool& pool() {
  static HandlePool* p = new HandlePool();  // never destroyed (see above)
  return *p;
}

struct Lease {
  int device;
  cudnn::Handle handle;
  ~Lease() {
    if (handle != nullptr) pool().release(device, handle);
  }
};

// The four descriptors of one call, destroyed on every path out of it.
struct Descriptors {
  const Api& a;
  cudnn::TensorDesc x = nullptr, y = nullptr;
  cudnn::FilterDesc w = nullptr;
  cudnn::ConvDesc conv = nullptr;
  explicit Descriptors(const Api& api) : a(api) {}
  ~Descriptors() {
    if (x != nullptr) a.DestroyTensorDescriptor(x);
    if (y != nullptr) a.DestroyTensorDescriptor(y);
    if (w != nullptr) a.DestroyFilterDescriptor(w);
    if (conv != nullptr) a.DestroyConvolutionDescriptor(conv);
  }
};

// A convolution in cuDNN's terms: x (n, c, h, w) * filter (k, c, r, r) -> y (n, k, p, q).
struct Shape {
  int dtype;
  int64_t n, c, h, w, k, r, stride, pad, p, q;
  std::string text() const {
    return format("%s B=%lld %lld->%lld %lldx%lld k=%lld s=%lld p=%lld", dtype_name(dtype),
                  (long long)n, (long long)c, (long long)k, (long long)h, (long long)w,
                  (long long)r, (long long)stride, (long long)pad);
  }
  // The legacy API takes int sizes and strides.
  bool fits_int() const {
    const int64_t lim = INT32_MAX;
    return n * c * h * w < lim && n * k * p * q < lim && k * c * r * r < lim && pad < lim &&
           stride < lim;
  }
};

int cudnn_type(int dtype) {
  return dtype == G4J_F16 ? cudnn::kDataHalf
                          : dtype == G4J_BF16 ? cudnn::kDataBfloat16 : cudnn::kDataFloat;
}
int wanted_math(int dtype) { return dtype == G4J_F32 ? cudnn::kFmaMath : cudnn::kTensorOpMath; }

void describe(const Api& a, const Shape& s, Descriptors* d) {
  const std::string what = s.text();
  const int t = cudnn_type(s.dtype);
  G4J_CUDNN(a, CreateTensorDescriptor, what, &d->x);
  G4J_CUDNN(a, SetTensor4dDescriptor, what, d->x, cudnn::kTensorNchw, t, int(s.n), int(s.c),
            int(s.h), int(s.w));
  G4J_CUDNN(a, CreateTensorDescriptor, what, &d->y);
  G4J_CUDNN(a, SetTensor4dDescriptor, what, d->y, cudnn::kTensorNchw, t, int(s.n), int(s.k),
            int(s.p), int(s.q));
  G4J_CUDNN(a, CreateFilterDescriptor, what, &d->w);
  G4J_CUDNN(a, SetFilter4dDescriptor, what, d->w, t, cudnn::kTensorNchw, int(s.k), int(s.c),
            int(s.r), int(s.r));
  G4J_CUDNN(a, CreateConvolutionDescriptor, what, &d->conv);
  G4J_CUDNN(a, SetConvolution2dDescriptor, what, d->conv, int(s.pad), int(s.pad), int(s.stride),
            int(s.stride), 1, 1, cudnn::kCrossCorrelation, cudnn::kDataFloat);
  G4J_CUDNN(a, SetConvolutionMathType, what, d->conv, wanted_math(s.dtype));
}

// The algorithm chosen for one shape; use == false: cuDNN has none, run the hand-written kernel.
struct Plan {
  bool use = false;
  int algo = 0, math = 0;
  size_t workspace = 0;
};

// 1 << (trailing zero bits), at most 256: algorithms may need 16-byte aligned operands, so the
// alignment the choice was timed with is part of the key.
int64_t alignment(std::initializer_list<const void*> ptrs) {
  int64_t a = 256;
  for (const void* p : ptrs) {
    const auto v = reinterpret_cast<uintptr_t>(p);
    if (v != 0) a = std::min<int64_t>(a, int64_t(v & (~v + 1)));
  }
  return a;
}

using Key = std::array<int64_t, 12>;  // device, op, dtype, n, c, h, w, k, r, stride, pad, align

// The most workspace an algorithm may take: a quarter of the free memory, at most 256 MiB.
size_t workspace_limit() {
  size_t free_bytes = 0, total = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total));
  return std::min<size_t>(size_t{256} << 20, free_bytes / 4);
}

// The fastest successful candidate within the limit. F32 was searched with CUDNN_FMA_MATH and
// runs with it (cuDNN's default math on Ampere and newer may use TF32): a candidate that reports
// tensor-op math is refused.
Plan choose(const std::vector<cudnn::AlgoPerf>& perf, int returned, int dtype, size_t limit) {
  Plan plan;
  for (int i = 0; i < returned; ++i) {  // sorted fastest first
    const cudnn::AlgoPerf& r = perf[i];
    if (r.status != cudnn::kSuccess || r.memory > limit) continue;
    const bool tensor_op = r.math_type == cudnn::kTensorOpMath || r.math_type == 2;
    if (dtype == G4J_F32 && tensor_op) continue;  // 2: CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION
    plan.use = true;
    plan.algo = r.algo;
    plan.math = dtype == G4J_F32 ? cudnn::kFmaMath : r.math_type;
    plan.workspace = r.memory;
    return plan;
  }
  return plan;
}

template <typename T>
__global__ void bias_residual_kernel(T* out, const T* bias, const T* residual, int64_t planes,
                                     int64_t channels, int64_t spatial) {
  for (int64_t plane = blockIdx.y; plane < planes; plane += gridDim.y) {
    const float b = bias != nullptr ? cuda::to_f32(bias[plane % channels]) : 0.0f;
    const int64_t base = plane * spatial;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < spatial;
         i += int64_t(gridDim.x) * blockDim.x) {
      float v = cuda::to_f32(out[base + i]) + b;
      if (residual != nullptr) v += cuda::to_f32(residual[base + i]);
      out[base + i] = cuda::from_f32<T>(v);
    }
  }
}

// out[b, c, s] += bias[c] (+ residual[b, c, s]), one rounding to T.
void add_bias_residual(cudaStream_t stream, int dtype, void* out, const void* bias,
                       const void* residual, int64_t batch, int64_t channels, int64_t spatial) {
  if (bias == nullptr && residual == nullptr) return;
  constexpr int kThreads = 256;
  const int64_t planes = batch * channels;
  const dim3 grid(unsigned(std::min<int64_t>((spatial + kThreads - 1) / kThreads, 1024)),
                  unsigned(std::min<int64_t>(planes, 65535)));
  cuda::dispatch_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    bias_residual_kernel<T><<<grid, kThreads, 0, stream>>>(
        static_cast<T*>(out), static_cast<const T*>(bias), static_cast<const T*>(residual),
        planes, channels, spatial);
    LAUNCH_CHECK();
  });
}

// G4J_VENDOR_LOG=1: one line on stderr per shape searched (the algorithm chosen and its time).
bool log_plans() {
  static const bool on = [] {
    const char* v = std::getenv("G4J_VENDOR_LOG");
    return v != nullptr && v[0] != '\0' && std::strcmp(v, "0") != 0;
  }();
  return on;
}

// A shape's plan and the descriptors it was searched with, kept for the process so a call costs
// one cuDNN call: the descriptors are only read from then on (the math type is set once).
struct Cached {
  Plan plan;
  std::unique_ptr<Descriptors> desc;
};

// The device, a handle bound to the op's stream, and the shape's cached plan.
struct Call {
  const Api* api = nullptr;
  int device = 0;
  cudaStream_t stream = nullptr;
  std::unique_ptr<Lease> lease;

  // False when cuDNN is off or its handle cannot be created (it is then off from now on).
  bool open(void* s, const Shape& shape) {
    api = cudnn_on();
    if (api == nullptr || !shape.fits_int()) return false;
    stream = static_cast<cudaStream_t>(s);
    CUDA_CHECK(cudaGetDevice(&device));
    cudnn::Handle h = pool().acquire(*api, device);
    if (h == nullptr) return false;
    lease.reset(new Lease{device, h});
    G4J_CUDNN(*api, SetStream, shape.text(), h, s);
    return true;
  }

  // The plan of `key`, searched by `find` (which fills perf and returns cuDNN's status) the
  // first time. The map never shrinks, so the returned entry stays valid.
  template <class Find>
  const Cached& plan(const Key& key, const Shape& s, const char* find_name, Find find) {
    std::lock_guard<std::mutex> lock(cache_mutex());
    auto it = cache().find(key);
    if (it != cache().end()) return it->second;
    Cached entry;
    entry.desc.reset(new Descriptors(*api));
    describe(*api, s, entry.desc.get());
    std::vector<cudnn::AlgoPerf> perf(16);
    int returned = 0;
    const size_t limit = workspace_limit();
    Status st;
    {
      Scratch workspace(stream, limit);
      st = find(*entry.desc, perf, &returned, workspace.as<void>(), limit);
    }
    if (!cudnn::not_supported(st)) {
      if (st != cudnn::kSuccess) fail_cudnn(*api, st, find_name, s.text());
      entry.plan = choose(perf, returned, s.dtype, limit);
    }
    if (entry.plan.use) {
      G4J_CUDNN(*api, SetConvolutionMathType, s.text(), entry.desc->conv, entry.plan.math);
    }
    if (log_plans()) {
      const std::string choice =
          entry.plan.use
              ? format("algo %d, math %d, workspace %zu bytes, %.3f ms (fastest of %d)",
                       entry.plan.algo, entry.plan.math, entry.plan.workspace,
                       double(perf[0].time), returned)
              : format("none usable (%s): hand-written", cudnn::status_text(*api, st).c_str());
      std::fprintf(stderr, "guidance4j cuDNN %s %s: %s\n",
                   key[1] == 0 ? "forward" : "backward-data", s.text().c_str(), choice.c_str());
    }
    return cache().emplace(key, std::move(entry)).first->second;
  }

  static std::mutex& cache_mutex() {
    static auto* m = new std::mutex();
    return *m;
  }
  static std::map<Key, Cached>& cache() {
    static auto* m = new std::map<Key, Cached>();  // never destroyed: no cuDNN call at exit
    return *m;
  }
};

// A 1x1 convolution with stride 1 and no padding is, per image, a matrix product
// out_b (Cout x HW) = W (Cout x Cin) x_b (Cin x HW): cuBLASLt runs it as one strided batched
// GEMM with less per-call overhead than cuDNN's legacy entry points. G4J_VENDOR_CONV1X1=cudnn
// keeps such convolutions on cuDNN.
bool pointwise_on_cublaslt(const Conv2dArgs& a) {
  static const bool gemm = [] {
    const char* v = std::getenv("G4J_VENDOR_CONV1X1");
    return v == nullptr || std::strcmp(v, "cudnn") != 0;
  }();
  return gemm && a.kernel == 1 && a.stride == 1 && a.padding == 0;
}

}  // namespace

bool try_conv2d(void* stream, const Conv2dArgs& a) {
  if (pointwise_on_cublaslt(a) && conv1x1_gemm(stream, a)) {
    add_bias_residual(static_cast<cudaStream_t>(stream), a.dtype, a.out, a.bias, a.residual,
                      a.batch, a.out_channels, a.out_height * a.out_width);
    count(Path::kVendorConv);
    return true;
  }
  const Shape s{a.dtype,  a.batch,  a.in_channels, a.height,  a.width,     a.out_channels,
                a.kernel, a.stride, a.padding,     a.out_height, a.out_width};
  Call c;
  if (!c.open(stream, s)) {
    count(Path::kHandConv);
    return false;
  }
  const Api& api = *c.api;
  const Key key{c.device, 0, s.dtype, s.n, s.c, s.h, s.w, s.k, s.r, s.stride, s.pad,
                alignment({a.x, a.weight, a.out})};
  const Cached& e = c.plan(
      key, s, "cudnnFindConvolutionForwardAlgorithmEx",
      [&](const Descriptors& d, std::vector<cudnn::AlgoPerf>& perf, int* returned, void* ws,
          size_t limit) {
        int max = 0;
        G4J_CUDNN(api, GetConvolutionForwardAlgorithmMaxCount, s.text(), c.lease->handle, &max);
        perf.resize(std::max(max, 1));
        // The search writes `out`, which the op overwrites afterwards.
        return api.FindConvolutionForwardAlgorithmEx(c.lease->handle, d.x, a.x, d.w, a.weight,
                                                     d.conv, d.y, a.out, int(perf.size()),
                                                     returned, perf.data(), ws, limit);
      });
  if (!e.plan.use) {
    count(Path::kHandConv);
    return false;
  }
  Scratch workspace(c.stream, e.plan.workspace);
  const float alpha = 1.0f, beta = 0.0f;
  G4J_CUDNN(api, ConvolutionForward, s.text(), c.lease->handle, &alpha, e.desc->x, a.x,
            e.desc->w, a.weight, e.desc->conv, e.plan.algo, workspace.as<void>(),
            e.plan.workspace, &beta, e.desc->y, a.out);
  add_bias_residual(c.stream, s.dtype, a.out, a.bias, a.residual, s.n, s.k, s.p * s.q);
  count(Path::kVendorConv);
  return true;
}

bool try_conv2d_backward_input(void* stream, const Conv2dBackwardInputArgs& a) {
  // cuDNN's backward data: dx = x's gradient (n, c, h, w), dy = y's (n, k, p, q).
  const Shape s{a.dtype,  a.batch,  a.in_channels, a.height,  a.width,     a.out_channels,
                a.kernel, a.stride, a.padding,     a.out_height, a.out_width};
  Call c;
  if (!c.open(stream, s)) {
    count(Path::kHandConv);
    return false;
  }
  const Api& api = *c.api;
  const Key key{c.device, 1, s.dtype, s.n, s.c, s.h, s.w, s.k, s.r, s.stride, s.pad,
                alignment({a.dy, a.weight, a.dx})};
  const Cached& e = c.plan(
      key, s, "cudnnFindConvolutionBackwardDataAlgorithmEx",
      [&](const Descriptors& d, std::vector<cudnn::AlgoPerf>& perf, int* returned, void* ws,
          size_t limit) {
        int max = 0;
        G4J_CUDNN(api, GetConvolutionBackwardDataAlgorithmMaxCount, s.text(), c.lease->handle,
                  &max);
        perf.resize(std::max(max, 1));
        // dx is written by the search; the op overwrites all of it afterwards.
        return api.FindConvolutionBackwardDataAlgorithmEx(c.lease->handle, d.w, a.weight, d.y,
                                                          a.dy, d.conv, d.x, a.dx,
                                                          int(perf.size()), returned,
                                                          perf.data(), ws, limit);
      });
  if (!e.plan.use) {
    count(Path::kHandConv);
    return false;
  }
  Scratch workspace(c.stream, e.plan.workspace);
  const float alpha = 1.0f, beta = 0.0f;
  G4J_CUDNN(api, ConvolutionBackwardData, s.text(), c.lease->handle, &alpha, e.desc->w,
            a.weight, e.desc->y, a.dy, e.desc->conv, e.plan.algo, workspace.as<void>(),
            e.plan.workspace, &beta, e.desc->x, a.dx);
  count(Path::kVendorConv);
  return true;
}

#undef G4J_CUDNN

#endif  // G4J_CUDA_EMULATION

}  // namespace vendor
}  // namespace g4j
