// gemm and linear on cuBLASLt (vendor.h). CUBLAS_COMPUTE_32F throughout: F32 operands stay F32
// (no TF32), F16/BF16 operands are multiplied on tensor cores and accumulated in F32.
//
// Our matrices are row-major; cuBLASLt's are column-major. A row-major C (m x n) is a column-major
// C^T (n x m) with the same leading dimension, and C^T = op(B)^T op(A)^T, so each call passes B
// as cuBLASLt's first operand and A as its second, with the transposes and leading dimensions
// unchanged. linear's bias is cuBLASLt's BIAS epilogue (one value per row of C^T, i.e. per output
// feature), added before the single rounding to the output type.
//
// The heuristic's first choice for each problem (shapes, strides, transposes, dtypes, operand
// alignment, beta and bias) is cached for the process; a problem cuBLASLt does not support falls
// back to the hand-written kernel. Workspace: up to 32 MiB from the stream-ordered pool.
#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <vector>

#include "common.cuh"
#include "vendor.h"

namespace g4j {
namespace vendor {

#ifdef G4J_CUDA_EMULATION

bool try_gemm(void*, const GemmArgs&) {
  count(Path::kHandGemm);
  return false;
}
bool try_linear(void*, const LinearArgs&) {
  count(Path::kHandGemm);
  return false;
}
bool conv1x1_gemm(void*, const Conv2dArgs&) { return false; }

#else

namespace {

using cublaslt::Api;
using cublaslt::Status;

constexpr size_t kMaxWorkspace = size_t{32} << 20;

[[noreturn]] void fail_lt(Status s, const char* call, const std::string& what) {
  throw Error(G4J_ERR_CUDA, format("cuBLASLt error %s in %s (%s)",
                                   cublaslt::status_text(s).c_str(), call, what.c_str()));
}

#define G4J_LT(a, fn, what, ...)                                          \
  do {                                                                    \
    const Status g4j_st_ = (a).fn(__VA_ARGS__);                           \
    if (g4j_st_ != cublaslt::kSuccess) fail_lt(g4j_st_, "cublasLt" #fn, (what)); \
  } while (0)

// One handle per device, created on first use and kept for the process. cuBLASLt handles carry
// no per-call state, so threads may share one.
cublaslt::Handle handle_for(const Api& a, int device) {
  static std::mutex mutex;
  static auto* handles = new std::map<int, cublaslt::Handle>();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = handles->find(device);
  if (it != handles->end()) return it->second;
  cublaslt::Handle h = nullptr;
  const Status s = a.Create(&h);
  if (s != cublaslt::kSuccess) {
    disable_cublaslt(format("cublasLtCreate failed on device %d: %s", device,
                            cublaslt::status_text(s).c_str()));
    return nullptr;
  }
  (*handles)[device] = h;
  return h;
}

// A matmul in cuBLASLt's column-major terms: D (m x n) = alpha op(A) op(B) + beta C (+ bias),
// batched with element strides; C and D are the same matrix.
struct Problem {
  int dtype;
  bool trans_a, trans_b;
  int64_t m, n, k;
  const void* a; int64_t lda, stride_a;
  const void* b; int64_t ldb, stride_b;
  float alpha, beta;
  void* d; int64_t ldd, stride_d;
  int64_t batch;
  const void* bias;  // length m, or NULL
  std::string text() const {
    return format("%s m=%lld n=%lld k=%lld batch=%lld%s%s", dtype_name(dtype), (long long)m,
                  (long long)n, (long long)k, (long long)batch, trans_a ? " A^T" : "",
                  trans_b ? " B^T" : "");
  }
};

int lt_type(int dtype) {
  if (dtype == G4J_F16) return cublaslt::kR16F;
  return dtype == G4J_BF16 ? cublaslt::kR16BF : cublaslt::kR32F;
}

// The largest power of two (at most 256) dividing the pointer and, when batched, the batch stride
// in bytes: what every matrix of the batch is aligned to.
uint32_t alignment(const void* p, int64_t stride_elems, int64_t batch, size_t elem) {
  uint64_t v = reinterpret_cast<uintptr_t>(p);
  if (batch > 1) v |= uint64_t(stride_elems) * elem;
  if (v == 0) return 256;
  return uint32_t(std::min<uint64_t>(256, v & (~v + 1)));
}

struct Descriptors {
  const Api& api;
  cublaslt::MatmulDesc op = nullptr;
  cublaslt::Layout a = nullptr, b = nullptr, d = nullptr;
  cublaslt::Preference pref = nullptr;
  explicit Descriptors(const Api& x) : api(x) {}
  ~Descriptors() {
    if (op != nullptr) api.MatmulDescDestroy(op);
    if (a != nullptr) api.MatrixLayoutDestroy(a);
    if (b != nullptr) api.MatrixLayoutDestroy(b);
    if (d != nullptr) api.MatrixLayoutDestroy(d);
    if (pref != nullptr) api.MatmulPreferenceDestroy(pref);
  }
};

void layout(const Api& api, const std::string& what, cublaslt::Layout* out, int type, int64_t rows,
            int64_t cols, int64_t ld, int64_t batch, int64_t stride) {
  G4J_LT(api, MatrixLayoutCreate, what, out, type, uint64_t(rows), uint64_t(cols), ld);
  if (batch > 1) {
    const int32_t count32 = int32_t(batch);
    G4J_LT(api, MatrixLayoutSetAttribute, what, *out, cublaslt::kLayoutBatchCount, &count32,
           sizeof count32);
    G4J_LT(api, MatrixLayoutSetAttribute, what, *out, cublaslt::kLayoutStridedBatchOffset,
           &stride, sizeof stride);
  }
}

struct Plan {
  bool use = false;
  cublaslt::Algo algo{};
  size_t workspace = 0;
};

using Key = std::array<int64_t, 20>;

std::mutex plans_mutex;
std::map<Key, Plan>& plans() {
  static auto* m = new std::map<Key, Plan>();
  return *m;
}

bool run(void* stream, const Problem& p) {
  const Api* api = cublaslt_on();
  // cuBLASLt takes 32-bit batch counts; those past that, and k == 0 (C = beta C), stay with the
  // hand-written kernel.
  if (api == nullptr || p.batch > INT32_MAX || p.k <= 0) return false;
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  cublaslt::Handle h = handle_for(*api, device);
  if (h == nullptr) return false;

  const std::string what = p.text();
  const size_t elem = dtype_size(p.dtype);
  const int type = lt_type(p.dtype);
  Descriptors desc(*api);
  G4J_LT(*api, MatmulDescCreate, what, &desc.op, cublaslt::kCompute32F, cublaslt::kR32F);
  const int32_t ta = p.trans_a ? cublaslt::kOpT : cublaslt::kOpN;
  const int32_t tb = p.trans_b ? cublaslt::kOpT : cublaslt::kOpN;
  G4J_LT(*api, MatmulDescSetAttribute, what, desc.op, cublaslt::kDescTransA, &ta, sizeof ta);
  G4J_LT(*api, MatmulDescSetAttribute, what, desc.op, cublaslt::kDescTransB, &tb, sizeof tb);
  if (p.bias != nullptr) {
    const uint32_t epilogue = cublaslt::kEpilogueBias;
    G4J_LT(*api, MatmulDescSetAttribute, what, desc.op, cublaslt::kDescEpilogue, &epilogue,
           sizeof epilogue);
    G4J_LT(*api, MatmulDescSetAttribute, what, desc.op, cublaslt::kDescBiasPointer, &p.bias,
           sizeof p.bias);
  }
  // Stored shapes: op(A) is m x k, so A is k x m when transposed; likewise B.
  layout(*api, what, &desc.a, type, p.trans_a ? p.k : p.m, p.trans_a ? p.m : p.k, p.lda, p.batch,
         p.stride_a);
  layout(*api, what, &desc.b, type, p.trans_b ? p.n : p.k, p.trans_b ? p.k : p.n, p.ldb, p.batch,
         p.stride_b);
  layout(*api, what, &desc.d, type, p.m, p.n, p.ldd, p.batch, p.stride_d);

  const uint32_t align_a = alignment(p.a, p.stride_a, p.batch, elem);
  const uint32_t align_b = alignment(p.b, p.stride_b, p.batch, elem);
  const uint32_t align_d = alignment(p.d, p.stride_d, p.batch, elem);
  const uint32_t align_bias = p.bias != nullptr ? alignment(p.bias, 0, 1, elem) : 256;
  const Key key{device, p.dtype, p.trans_a, p.trans_b, p.m, p.n, p.k, p.lda, p.stride_a, p.ldb,
                p.stride_b, p.ldd, p.stride_d, p.batch, p.beta != 0.0f, p.bias != nullptr,
                align_a, align_b, align_d, align_bias};
  Plan plan;
  {
    std::lock_guard<std::mutex> lock(plans_mutex);
    auto it = plans().find(key);
    if (it != plans().end()) {
      plan = it->second;
    } else {
      G4J_LT(*api, MatmulPreferenceCreate, what, &desc.pref);
      const uint64_t max_ws = kMaxWorkspace;
      G4J_LT(*api, MatmulPreferenceSetAttribute, what, desc.pref, cublaslt::kPrefMaxWorkspaceBytes,
             &max_ws, sizeof max_ws);
      G4J_LT(*api, MatmulPreferenceSetAttribute, what, desc.pref, cublaslt::kPrefMinAlignmentA,
             &align_a, sizeof align_a);
      G4J_LT(*api, MatmulPreferenceSetAttribute, what, desc.pref, cublaslt::kPrefMinAlignmentB,
             &align_b, sizeof align_b);
      G4J_LT(*api, MatmulPreferenceSetAttribute, what, desc.pref, cublaslt::kPrefMinAlignmentC,
             &align_d, sizeof align_d);
      G4J_LT(*api, MatmulPreferenceSetAttribute, what, desc.pref, cublaslt::kPrefMinAlignmentD,
             &align_d, sizeof align_d);
      cublaslt::HeuristicResult result{};
      int returned = 0;
      const Status st = api->MatmulAlgoGetHeuristic(h, desc.op, desc.a, desc.b, desc.d, desc.d,
                                                    desc.pref, 1, &result, &returned);
      if (st == cublaslt::kSuccess && returned > 0 && result.state == cublaslt::kSuccess) {
        plan.use = true;
        plan.algo = result.algo;
        plan.workspace = result.workspace_size;
      } else if (st != cublaslt::kSuccess && st != cublaslt::kNotSupported) {
        fail_lt(st, "cublasLtMatmulAlgoGetHeuristic", what);
      }
      plans()[key] = plan;
    }
  }
  if (!plan.use) return false;
  cuda::Scratch workspace(static_cast<cudaStream_t>(stream), plan.workspace);
  G4J_LT(*api, Matmul, what, h, desc.op, &p.alpha, p.a, desc.a, p.b, desc.b, &p.beta, p.d, desc.d,
         p.d, desc.d, &plan.algo, workspace.as<void>(), plan.workspace, stream);
  return true;
}

#undef G4J_LT

}  // namespace

bool try_gemm(void* stream, const GemmArgs& g) {
  // Row-major C = alpha op(A) op(B) + beta C  <=>  column-major C^T = alpha op(B)^T op(A)^T + ...
  const Problem p{g.dtype, g.trans_b != 0, g.trans_a != 0, g.n, g.m, g.k,
                  g.b, g.ldb, g.stride_b, g.a, g.lda, g.stride_a, g.alpha, g.beta,
                  g.c, g.ldc, g.stride_c, g.batch, nullptr};
  const bool ran = run(stream, p);
  count(ran ? Path::kCublasLtGemm : Path::kHandGemm);
  return ran;
}

bool try_linear(void* stream, const LinearArgs& l) {
  // out (rows x out) = x W^T + bias  <=>  out^T (out x rows) = W x^T + bias per row: A = W
  // (stored out x in, i.e. column-major in x out, transposed), B = x (column-major in x rows).
  const Problem p{l.dtype, true, false, l.out_features, l.rows, l.in_features,
                  l.weight, l.in_features, 0, l.x, l.in_features, 0, 1.0f, 0.0f,
                  l.out, l.out_features, 0, 1, l.bias};
  const bool ran = run(stream, p);
  count(ran ? Path::kCublasLtGemm : Path::kHandGemm);
  return ran;
}

bool conv1x1_gemm(void* stream, const Conv2dArgs& a) {
  // Per image, column-major: out_b^T (HW x Cout) = x_b^T (HW x Cin) W^T (Cin x Cout), i.e.
  // A = x_b (row-major Cin x HW), B = W (row-major Cout x Cin, the same for every image).
  const int64_t hw = a.height * a.width;
  const Problem p{a.dtype, false, false, hw, a.out_channels, a.in_channels,
                  a.x, hw, a.in_channels * hw, a.weight, a.in_channels, 0, 1.0f, 0.0f,
                  a.out, hw, a.out_channels * hw, a.batch, nullptr};
  return run(stream, p);
}

#endif  // G4J_CUDA_EMULATION

}  // namespace vendor
}  // namespace g4j
