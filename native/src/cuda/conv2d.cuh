// The convolutions as implicit-GEMM problems: C (M x N) = A (M x K) . B (K x N) where A is the
// weight matrix read in place and B is gathered from an image on the fly (never materialised).
// A problem tells the kernels of implicit_gemm.cuh how to read A, gather B and store C:
//   ConvForward:       C = out (Cout x B*Ho*Wo),  A = W (Cout x Cin*k*k),   B = patches of x
//   ConvBackwardInput: C = dx  (Cin x B*H*W),     A = W^T (Cin x Cout*k*k), B = taps of dy
// Indices are 32-bit (limits checked once in conv_params): the gathers' arithmetic is the cost.
#pragma once

#include "common.cuh"

namespace g4j {
namespace cuda {

struct ConvParams {
  int batch, cin, height, width, cout, kernel, stride, padding, out_height, out_width;
  const void* weight;
};

// Throws G4J_ERR_UNSUPPORTED where an index would not fit 32 bits (far beyond any diffusion
// model layer).
ConvParams conv_params(int64_t batch, int64_t in_channels, int64_t height, int64_t width,
                       int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding,
                       int64_t out_height, int64_t out_width, const void* weight);

// F16/BF16 use tensor cores unless the environment sets G4J_CUDA_TENSOR_CORES=0, which keeps the
// SIMT kernels as a cross-check when a result looks wrong.
bool tensor_cores_enabled();

// Kernel sizes with a compiled special case (divisions by constants); 0 means "read p.kernel".
template <int KS>
__device__ __forceinline__ int kernel_size(const ConvParams& p) {
  return KS > 0 ? KS : p.kernel;
}

template <typename T, int KS>
struct ConvForward {
  ConvParams p;
  const T* x;
  const T* bias;      // or NULL
  const T* residual;  // or NULL; may alias out
  T* out;

  // A column is one output pixel: its sample's image and the input coordinates of its top-left
  // tap, computed once per thread and reused for every k slice.
  struct Column {
    bool valid;
    int64_t image;
    int ih0, iw0;
  };

  __host__ __device__ int m() const { return p.cout; }
  __host__ __device__ int n() const { return p.batch * p.out_height * p.out_width; }
  __host__ __device__ int k() const { return p.cin * p.kernel * p.kernel; }

  __device__ T a(int row, int kk) const {
    if (row >= m() || kk >= k()) return from_f32<T>(0.0f);
    return static_cast<const T*>(p.weight)[static_cast<int64_t>(row) * k() + kk];
  }

  __device__ Column column(int col) const {
    Column c{false, 0, 0, 0};
    if (col < n()) {
      const int hw_out = p.out_height * p.out_width;
      const int sample = col / hw_out;
      const int pix = col - sample * hw_out;
      const int oh = pix / p.out_width, ow = pix - oh * p.out_width;
      c.valid = true;
      c.image = static_cast<int64_t>(sample) * p.cin * p.height * p.width;
      c.ih0 = oh * p.stride - p.padding;
      c.iw0 = ow * p.stride - p.padding;
    }
    return c;
  }

  // Row kk = (ci, kh, kw) of the patch matrix: x[sample, ci, ih0 + kh, iw0 + kw], 0 outside.
  __device__ T b(const Column& c, int kk) const {
    const int ks = kernel_size<KS>(p);
    if (c.valid && kk < k()) {
      const int ci = kk / (ks * ks);
      const int rem = kk - ci * (ks * ks);
      const int kh = rem / ks, kw = rem - kh * ks;
      const int ih = c.ih0 + kh, iw = c.iw0 + kw;
      if (ih >= 0 && ih < p.height && iw >= 0 && iw < p.width) {
        return x[c.image + (static_cast<int64_t>(ci) * p.height + ih) * p.width + iw];
      }
    }
    return from_f32<T>(0.0f);
  }

  __device__ void store(int row, int col, float acc) const {
    if (row >= m() || col >= n()) return;
    const int hw_out = p.out_height * p.out_width;
    const int sample = col / hw_out;
    const int pix = col - sample * hw_out;
    const int64_t o = (static_cast<int64_t>(sample) * p.cout + row) * hw_out + pix;
    if (bias != nullptr) acc += to_f32(bias[row]);
    // residual may alias out: this thread reads the element before writing it
    if (residual != nullptr) acc += to_f32(residual[o]);
    out[o] = from_f32<T>(acc);
  }
};

template <typename T, int KS>
struct ConvBackwardInput {
  ConvParams p;
  const T* dy;
  T* dx;

  // A column is one input pixel: its sample's gradient image and its padded coordinates.
  struct Column {
    bool valid;
    int64_t image;
    int py, px;  // iy + padding, ix + padding
  };

  __host__ __device__ int m() const { return p.cin; }
  __host__ __device__ int n() const { return p.batch * p.height * p.width; }
  __host__ __device__ int k() const { return p.cout * p.kernel * p.kernel; }

  // A[ci, (co, ky, kx)] = w[co, ci, ky, kx].
  __device__ T a(int row, int kk) const {
    if (row >= m() || kk >= k()) return from_f32<T>(0.0f);
    const int ks = kernel_size<KS>(p);
    const int co = kk / (ks * ks);
    const int rem = kk - co * (ks * ks);
    const int64_t idx = (static_cast<int64_t>(co) * p.cin + row) * (ks * ks) + rem;
    return static_cast<const T*>(p.weight)[idx];
  }

  __device__ Column column(int col) const {
    Column c{false, 0, 0, 0};
    if (col < n()) {
      const int hw = p.height * p.width;
      const int sample = col / hw;
      const int pix = col - sample * hw;
      const int iy = pix / p.width, ix = pix - iy * p.width;
      c.valid = true;
      c.image = static_cast<int64_t>(sample) * p.cout * p.out_height * p.out_width;
      c.py = iy + p.padding;
      c.px = ix + p.padding;
    }
    return c;
  }

  // Row kk = (co, ky, kx): dy[sample, co, oy, ox] for the output pixel whose tap (ky, kx) lands
  // on this input pixel, i.e. oy * stride + ky = iy + padding; 0 where no such pixel exists.
  __device__ T b(const Column& c, int kk) const {
    const int ks = kernel_size<KS>(p);
    if (c.valid && kk < k()) {
      const int co = kk / (ks * ks);
      const int rem = kk - co * (ks * ks);
      const int ky = rem / ks, kx = rem - ky * ks;
      const int ty = c.py - ky, tx = c.px - kx;
      if (ty >= 0 && tx >= 0) {
        const int oy = ty / p.stride, ox = tx / p.stride;
        if (oy * p.stride == ty && ox * p.stride == tx && oy < p.out_height &&
            ox < p.out_width) {
          return dy[c.image + (static_cast<int64_t>(co) * p.out_height + oy) * p.out_width + ox];
        }
      }
    }
    return from_f32<T>(0.0f);
  }

  __device__ void store(int row, int col, float acc) const {
    if (row >= m() || col >= n()) return;
    const int hw = p.height * p.width;
    const int sample = col / hw;
    const int pix = col - sample * hw;
    dx[(static_cast<int64_t>(sample) * p.cin + row) * hw + pix] = from_f32<T>(acc);
  }
};

}  // namespace cuda
}  // namespace g4j
