// Checks the register layouts documented in mma.cuh (mma.sync m16n8k16, ldmatrix in its four
// forms, cp.async) against a float64 product, on a GPU and under the CPU emulation alike: the
// emulation implements the documented layouts, so this program passing on real hardware is what
// ties the emulated kernels to the GPU's behaviour.
//
// One warp computes C (16 x 16) = A (16 x 16) B (16 x 16) as two m16n8k16 products per case,
// with A and B loaded in each of the ways the kernels use. Exit code 0: every case within
// float32 rounding of float64; 1: a mismatch (printed); 77: no CUDA device (ctest: skipped).
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "mma.cuh"

using namespace g4j::cuda::mma;

namespace {

constexpr int kN = 16;
constexpr int kCases = 4;

// Case 0: A by ldmatrix.x4, B (stored k-major) by ldmatrix.x2.trans, staged by cp.async.
// Case 1: A built from registers by the documented layout, B (stored n-major) by ldmatrix.x2.
// Case 2: A by ldmatrix.x4, both B halves at once by ldmatrix.x4.trans.
// Case 3: A by ldmatrix.x4.trans from a column-major copy, B from registers by the layout.
template <typename T>
__global__ void layout_kernel(const T* a, const T* b, float* c) {
  __shared__ __align__(128) T as[kN * kN];   // row-major A (m, k)
  __shared__ __align__(128) T at[kN * kN];   // A transposed (k, m)
  __shared__ __align__(128) T bk[kN * kN];   // B k-major (k, n)
  __shared__ __align__(128) T bn[kN * kN];   // B n-major (n, k)
  const int lane = threadIdx.x;
  // 16 x 16 x 2 bytes = 512 bytes = 32 chunks of 16 bytes: one chunk per lane per matrix
  cp_async_16(as + lane * 8, a + lane * 8, true);
  cp_async_16(bk + lane * 8, b + lane * 8, true);
  cp_async_commit();
  cp_async_wait<0>();
  for (int e = lane; e < kN * kN; e += 32) {
    const int r = e / kN, col = e % kN;
    at[col * kN + r] = a[e];
    bn[col * kN + r] = b[e];
  }
  __syncthreads();

  const int g = lane / 4, q = lane % 4;
  for (int which = 0; which < kCases; ++which) {
    uint32_t fa[4];
    if (which == 1) {
      auto at_ = [&](int r, int k) { return widen(a[r * kN + k]); };
      fa[0] = pack2<T>(at_(g, 2 * q), at_(g, 2 * q + 1));
      fa[1] = pack2<T>(at_(g + 8, 2 * q), at_(g + 8, 2 * q + 1));
      fa[2] = pack2<T>(at_(g, 2 * q + 8), at_(g, 2 * q + 9));
      fa[3] = pack2<T>(at_(g + 8, 2 * q + 8), at_(g + 8, 2 * q + 9));
    } else if (which == 3) {
      // matrix i: rows (i % 2) * 8.. of A = columns of at; transposed quarters
      const int i = lane / 8, r = lane % 8;
      ldmatrix_x4_trans(fa, at + ((i / 2) * 8 + r) * kN + (i % 2) * 8);
    } else {
      const int i = lane / 8, r = lane % 8;
      ldmatrix_x4(fa, as + ((i % 2) * 8 + r) * kN + (i / 2) * 8);
    }
    uint32_t fb[2][2];
    if (which == 0) {
      for (int h = 0; h < 2; ++h) {
        ldmatrix_x2_trans(fb[h], bk + (lane % 16) * kN + h * 8);
      }
    } else if (which == 1) {
      for (int h = 0; h < 2; ++h) {
        // matrix j (lanes 8j..8j+7): rows n = h*8 + r, columns k = 8j..8j+7
        const int j = (lane / 8) % 2, r = lane % 8;
        ldmatrix_x2(fb[h], bn + (h * 8 + r) * kN + j * 8);
      }
    } else if (which == 2) {
      uint32_t r4[4];
      // matrices: (k 0-7, n 0-7), (k 8-15, n 0-7), (k 0-7, n 8-15), (k 8-15, n 8-15)
      const int i = lane / 8, r = lane % 8;
      ldmatrix_x4_trans(r4, bk + ((i % 2) * 8 + r) * kN + (i / 2) * 8);
      fb[0][0] = r4[0];
      fb[0][1] = r4[1];
      fb[1][0] = r4[2];
      fb[1][1] = r4[3];
    } else {
      auto bt = [&](int k, int n) { return widen(b[k * kN + n]); };
      for (int h = 0; h < 2; ++h) {
        fb[h][0] = pack2<T>(bt(2 * q, h * 8 + g), bt(2 * q + 1, h * 8 + g));
        fb[h][1] = pack2<T>(bt(2 * q + 8, h * 8 + g), bt(2 * q + 9, h * 8 + g));
      }
    }
    for (int h = 0; h < 2; ++h) {
      float acc[4] = {0.25f, 0.25f, 0.25f, 0.25f};  // a nonzero C checks the accumulate input
      mma_16816<T>(acc, fa, fb[h], acc);
      float* out = c + which * kN * kN;
      out[g * kN + h * 8 + 2 * q] = acc[0];
      out[g * kN + h * 8 + 2 * q + 1] = acc[1];
      out[(g + 8) * kN + h * 8 + 2 * q] = acc[2];
      out[(g + 8) * kN + h * 8 + 2 * q + 1] = acc[3];
    }
  }
}

#define CHECK(expr)                                                                   \
  do {                                                                                \
    cudaError_t err_ = (expr);                                                        \
    if (err_ != cudaSuccess) {                                                        \
      std::fprintf(stderr, "mma_layout_test: %s failed: %s\n", #expr,                 \
                   cudaGetErrorString(err_));                                         \
      std::exit(1);                                                                   \
    }                                                                                 \
  } while (0)

float to_float(__half v) { return __half2float(v); }
float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T>
T from_float(float v);
template <>
__half from_float<__half>(float v) { return __float2half_rn(v); }
template <>
__nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

template <typename T>
int run(const char* name, unsigned seed) {
  std::vector<T> ha(kN * kN), hb(kN * kN);
  std::srand(seed);
  for (int i = 0; i < kN * kN; ++i) {
    ha[i] = from_float<T>(static_cast<float>(std::rand()) / RAND_MAX * 2 - 1);
    hb[i] = from_float<T>(static_cast<float>(std::rand()) / RAND_MAX * 2 - 1);
  }
  T *da, *db;
  float* dc;
  CHECK(cudaMalloc(&da, sizeof(T) * kN * kN));
  CHECK(cudaMalloc(&db, sizeof(T) * kN * kN));
  CHECK(cudaMalloc(&dc, sizeof(float) * kN * kN * kCases));
  CHECK(cudaMemcpy(da, ha.data(), sizeof(T) * kN * kN, cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(db, hb.data(), sizeof(T) * kN * kN, cudaMemcpyHostToDevice));
  CHECK(cudaMemset(dc, 0xff, sizeof(float) * kN * kN * kCases));  // NaN: unwritten shows
  layout_kernel<T><<<1, 32>>>(da, db, dc);
  CHECK(cudaGetLastError());
  std::vector<float> hc(kN * kN * kCases);
  CHECK(cudaMemcpy(hc.data(), dc, sizeof(float) * hc.size(), cudaMemcpyDeviceToHost));
  CHECK(cudaFree(da));
  CHECK(cudaFree(db));
  CHECK(cudaFree(dc));
  int bad = 0;
  for (int which = 0; which < kCases; ++which) {
    double worst = 0;
    for (int m = 0; m < kN; ++m) {
      for (int n = 0; n < kN; ++n) {
        double ref = 0.25;
        for (int k = 0; k < kN; ++k) {
          ref += static_cast<double>(to_float(ha[m * kN + k])) * to_float(hb[k * kN + n]);
        }
        const double got = hc[which * kN * kN + m * kN + n];
        const double err = std::fabs(got - ref);
        if (!(err <= 1e-5)) {  // NaN fails too
          if (bad < 5) {
            std::fprintf(stderr, "%s case %d: C[%d][%d] = %g, expected %g\n", name, which, m, n,
                         got, ref);
          }
          ++bad;
        }
        if (err > worst) worst = err;
      }
    }
    std::printf("mma_layout_test %s case %d: max |error| %.3g\n", name, which, worst);
  }
  return bad;
}

}  // namespace

int main() {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("mma_layout_test: skipped, no CUDA device\n");
    return 77;
  }
  const int bad = run<__half>("f16", 1) + run<__nv_bfloat16>("bf16", 2);
  std::printf("mma_layout_test: %s\n", bad == 0 ? "all passed" : "FAILED");
  return bad == 0 ? 0 : 1;
}
