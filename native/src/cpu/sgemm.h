// The CPU backend's single-precision GEMM engine, shared by gemm, linear, conv2d and attention.
// C (m x n, row-major, ldc) = alpha * op(A) op(B) [+ beta * C] [+ row/column bias] [+ residual].
// op(A) is shared by every job of a call (conv2d: the weights, one job per sample); op(B) is
// packed per block by each task straight from its source, which for conv2d is the input image
// itself (im2col happens inside the packing, no column buffer).
#pragma once

#include <cstddef>
#include <cstdint>

namespace g4j {
namespace cpu {

// Where op(B) (k x n) comes from.
struct BSource {
  enum Kind { kMatrix, kMatrixT, kIm2col };
  Kind kind = kMatrix;
  const float* data = nullptr;
  int64_t ld = 0;  // kMatrix: B is k x n with row stride ld; kMatrixT: B is n x k, row stride ld
  // kIm2col: data is one image (channels, height, width); row p of op(B) is (channel, ky, kx),
  // column j is the output position (oy, ox) of a kernel x kernel convolution.
  int64_t height = 0, width = 0, kernel = 1, stride = 1, padding = 0, out_width = 1;
};

// What is done with alpha * op(A) op(B) when it is written to C. beta == 0 means C is not read.
struct Epilogue {
  float alpha = 1.0f, beta = 0.0f;
  const float* row_bias = nullptr;  // + row_bias[i]
  const float* col_bias = nullptr;  // + col_bias[j]
  const float* residual = nullptr;  // + residual[i * ldr + j]
  int64_t ldr = 0;
};

struct GemmJob {
  BSource b;
  float* c = nullptr;
  int64_t ldc = 0;
  Epilogue epi;
};

// Runs `count` jobs that share op(A) (m x k; A stored k x m when trans_a, row stride lda), each
// producing its own m x n C. Threaded on the pool (serial when called from a pool thread).
void sgemm_jobs(bool trans_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                const GemmJob* jobs, int64_t count);

// op(A) packed ahead for several sgemm_packed calls (attention's K and V, reused by every block
// of queries): packed_a_floats(m, k) floats at dst, written by the calling thread alone.
size_t packed_a_floats(int64_t m, int64_t k);
void pack_a(bool trans_a, int64_t m, int64_t k, const float* a, int64_t lda, float* dst);
// Like sgemm_jobs with op(A) already packed by pack_a (alpha == 0 is not special-cased here).
void sgemm_packed(int64_t m, int64_t n, int64_t k, const float* apacked, const GemmJob* jobs,
                  int64_t count);

// One plain GEMM: C = alpha * op(A) op(B) + beta * C.
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc);

}  // namespace cpu
}  // namespace g4j
