/*
 * guidance4j C API: the only interface Java (through jextract bindings) and the smoke CLI see.
 *
 * Conventions
 *  - Every function returns a g4j_status (an int). On failure, g4j_last_error() returns a
 *    thread-local text naming the op, the offending argument or shape, and any CUDA error string.
 *    Nothing in the library aborts or exits the process.
 *  - A g4j_stream selects the backend: device < 0 is the CPU backend (ops run synchronously on
 *    the library's thread pool), device >= 0 is that CUDA device (ops are enqueued on the stream).
 *  - Tensors are raw pointers to contiguous, row-major (C order) memory of the given dtype; the
 *    caller owns them. On the CPU backend "device memory" is ordinary host memory, so a pointer
 *    into a memory-mapped file can be passed to an op directly.
 *  - dtype: the CPU backend computes in F32 only (g4j_cast converts between all dtypes there);
 *    the CUDA backend also takes F16 and BF16 storage and accumulates in F32. Every tensor of an
 *    op has the op's dtype unless the parameter says otherwise.
 *  - Where an op writes `out` it never reads it first (outputs may hold garbage), except GEMM
 *    with beta != 0.
 */
#ifndef GUIDANCE4J_H
#define GUIDANCE4J_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define G4J_API_VERSION 1

/* ---- status and errors ---------------------------------------------------------------- */

typedef enum g4j_status {
  G4J_OK = 0,
  G4J_ERR_INVALID_ARGUMENT = 1, /* a null pointer, a bad shape or dtype, an unknown enum value */
  G4J_ERR_OUT_OF_MEMORY = 2,    /* host or device allocation failed */
  G4J_ERR_NO_DEVICE = 3,        /* no CUDA backend built, no driver, or device index out of range */
  G4J_ERR_UNSUPPORTED = 4,      /* valid request this backend does not implement (e.g. F16 on CPU) */
  G4J_ERR_CUDA = 5,             /* any other CUDA runtime error */
  G4J_ERR_INTERNAL = 6          /* a bug in the library: please report the text */
} g4j_status;

typedef enum g4j_dtype { G4J_F32 = 0, G4J_F16 = 1, G4J_BF16 = 2 } g4j_dtype;

/* Thread-local text of the last failure on this thread ("" if none). Valid until the next call
 * on the same thread. */
const char* g4j_last_error(void);

/* G4J_API_VERSION of the loaded library. */
int g4j_api_version(void);

/* ---- devices and streams --------------------------------------------------------------- */

/* 1 when the CUDA backend was compiled into this library, else 0. */
int g4j_cuda_compiled(void);

/* Number of usable CUDA devices: 0 (and G4J_OK) where no backend, driver or device is present;
 * `reason` (may be NULL, capacity `cap`) then receives why. */
int g4j_cuda_device_count(int* count, char* reason, size_t cap);

/* Device name and total memory of CUDA device `device`. */
int g4j_cuda_device_info(int device, char* name, size_t cap, size_t* total_bytes);

/* Whether `device` (negative: CPU) computes in `dtype`. */
int g4j_device_supports_dtype(int device, int dtype, int* supported);

typedef struct g4j_stream g4j_stream;

/* device < 0: the CPU backend; device >= 0: a new non-blocking CUDA stream on that device. */
int g4j_stream_create(int device, g4j_stream** out);
int g4j_stream_destroy(g4j_stream* stream);
int g4j_stream_synchronize(g4j_stream* stream);
/* Makes later work on `waiter` wait for all work enqueued on `signaler` so far (an event). */
int g4j_stream_wait(g4j_stream* waiter, g4j_stream* signaler);

/* ---- vendor libraries (CUDA) ------------------------------------------------------------
 * On CUDA, conv2d and conv2d_backward_input run on cuDNN 9 and gemm and linear on cuBLASLt when
 * those libraries are found at run time (G4J_CUDNN_LIBRARY / G4J_CUBLASLT_LIBRARY naming a file,
 * the folders of G4J_VENDOR_LIBRARY_PATH, the dynamic loader's path, PyTorch's wheels, CUDA's
 * lib64), otherwise on the library's own kernels ("hand-written"); both are checked against the
 * same float64 references. F32 stays F32 on both paths (no TF32). */
typedef enum g4j_vendor_library { G4J_VENDOR_CUDNN = 1, G4J_VENDOR_CUBLASLT = 2 } g4j_vendor_library;

/* Turns the vendor path on (enabled != 0) or off for the ops enqueued after the call, in the
 * whole process. The default is on unless the environment sets G4J_CUDA_VENDOR=0. */
int g4j_cuda_set_vendor(int enabled);

/* Which vendor libraries the next op would use: `active` (may be NULL) receives a bit mask of
 * g4j_vendor_library; `text` (may be NULL, capacity cap) one line saying, per op family, the
 * library's version and file or "hand-written (vendor path off: <why>)". Loads the libraries on
 * the first call; needs no device. */
int g4j_cuda_vendor_info(int* active, char* text, size_t cap);

/* How many calls ran on each path since the process started: counts[0] conv2d and its backward
 * on the vendor libraries (cuDNN; 1x1 stride-1 convolutions as a cuBLASLt GEMM), [1] on the
 * hand-written kernels, [2] gemm and linear on cuBLASLt, [3] hand-written. */
int g4j_cuda_path_counts(int64_t* counts);

/* CPU thread pool size (default: the machine's cores, or the G4J_NUM_THREADS variable). */
int g4j_set_num_threads(int threads);
int g4j_get_num_threads(int* threads);

/* ---- memory ------------------------------------------------------------------------------ */

/* Device memory for `stream`'s device. CUDA: from the device's stream-ordered pool
 * (cudaMallocAsync; freed memory stays reserved for reuse). CPU: 64-byte aligned host memory.
 * bytes == 0 gives a NULL pointer and G4J_OK. */
int g4j_malloc(g4j_stream* stream, size_t bytes, void** out);
int g4j_free(g4j_stream* stream, void* ptr);

/* Host memory Java can view as a MemorySegment: page-locked when a CUDA device is present
 * (so copies are truly asynchronous), else 64-byte aligned ordinary memory. */
int g4j_host_alloc(size_t bytes, void** out);
int g4j_host_free(void* ptr);

/* Copy `bytes` between any two of host and `stream`'s device memory (direction inferred).
 * Asynchronous on CUDA streams: synchronize before reading a host destination. */
int g4j_memcpy(g4j_stream* stream, void* dst, const void* src, size_t bytes);

/* 2-D copy: `rows` rows of `row_bytes`, source and destination rows `src_pitch`/`dst_pitch`
 * bytes apart (channel concatenation and slicing without a kernel). */
int g4j_memcpy_2d(g4j_stream* stream, void* dst, size_t dst_pitch, const void* src,
                  size_t src_pitch, size_t row_bytes, size_t rows);

/* Bytes handed out by g4j_malloc and not yet freed, and bytes the pool holds from the system,
 * for `stream`'s device. */
int g4j_memory_stats(g4j_stream* stream, size_t* in_use, size_t* reserved);

/* ---- elementwise and conversion ------------------------------------------------------------ */

/* dst[i] = (dst_dtype) src[i], i < n. Supported between all dtypes on every backend. */
int g4j_cast(g4j_stream* stream, int src_dtype, const void* src, int dst_dtype, void* dst,
             int64_t n);

/* out[i] = value */
int g4j_fill(g4j_stream* stream, int dtype, int64_t n, float value, void* out);

/* out[i] = alpha * x[i] + beta * y[i]   (y may be NULL when beta == 0).
 * add(a, b) is (1, a, 1, b); scale(x, s) is (s, x, 0, NULL). out may alias x or y. */
int g4j_axpby(g4j_stream* stream, int dtype, int64_t n, float alpha, const void* x, float beta,
              const void* y, void* out);

/* out[i] = x[i] * sigmoid(x[i]). out may alias x. */
int g4j_silu(g4j_stream* stream, int dtype, int64_t n, const void* x, void* out);

/* out[b, c, s] = x[b, c, s] + bias[b * bias_stride + c]: a per-sample, per-channel bias over
 * `spatial` positions (ADM's `h + emb_out[..., None, None]`); bias_stride >= channels (rows of
 * a wider tensor are fine). out may alias x. */
int g4j_add_channel_bias(g4j_stream* stream, int dtype, int64_t batch, int64_t channels,
                         int64_t spatial, const void* x, const void* bias, int64_t bias_stride,
                         void* out);

/* out[b, c, s] = x[b, c, s] * scale[b * scale_stride + c]: a per-channel factor over `spatial`
 * positions, one row per sample (scale_stride >= channels) or one row for every sample
 * (scale_stride == 0). EDM2 multiplies its residual branch by 1 + emb_linear(emb) this way; with
 * channels == 1 it scales each sample by its own factor (EDM preconditioning). out may alias x. */
int g4j_scale_channels(g4j_stream* stream, int dtype, int64_t batch, int64_t channels,
                       int64_t spatial, const void* x, const void* scale, int64_t scale_stride,
                       void* out);

/* out[i] = min(max(x[i], lo), hi), lo <= hi; NaN stays NaN (as torch.clamp). EDM2's clip_act.
 * out may alias x. */
int g4j_clamp(g4j_stream* stream, int dtype, int64_t n, float lo, float hi, const void* x,
              void* out);

/* ---- guidance --------------------------------------------------------------------------- */

/* out = a + scale * (b - a) over n elements (CFG: a = eps_uncond, b = eps_cond, scale = 1 + w;
 * autoguidance: a = D0, b = D1, scale = w). out may alias a or b. */
int g4j_guided_combine(g4j_stream* stream, int dtype, int64_t n, const void* a, const void* b,
                       float scale, void* out);

/* The guided combination fused with one sampler update, per element i:
 *   g   = b ? a + scale * (b - a) : a               (the guided model output)
 *   x0  = px * x + pg * g, clamped to [-clip, clip] when clip > 0 (clip >= 0; 0 turns it off)
 *   out = qx * x + q0 * x0 + qn * std * noise        (std = noise_std[i], or 1 when NULL;
 *                                                     the noise term is skipped when NULL)
 * With these coefficients one kernel does a DDPM step (eps model, clip_denoised, learned
 * variance through noise_std), a DDIM step (eps re-derived from the clipped x0) and an Euler
 * step of the EDM ODE (pg = 1, qx = 1 + h/sigma, q0 = -h/sigma). x0_out (may be NULL) receives
 * x0. out may alias x. */
int g4j_guided_step(g4j_stream* stream, int dtype, int64_t n, const void* x, const void* a,
                    const void* b, float scale, float px, float pg, float clip, float qx,
                    float q0, float qn, const void* noise, const void* noise_std, void* out,
                    void* x0_out);

/* ---- normalisation -------------------------------------------------------------------------- */

/* GroupNorm over x (batch, channels, spatial) with `groups` groups (channels % groups == 0),
 * statistics in F32 (biased variance, eps inside the square root), then per channel
 * gamma/beta (each may be NULL: 1 and 0), then AdaGN `h * (1 + scale) + shift` with scale and
 * shift per (sample, channel) at scale[b * ss_stride + c] (each may be NULL; ss_stride >=
 * channels, so scale and shift can be the two halves of one (B, 2C) tensor), then SiLU when
 * silu != 0. out must not alias x. */
int g4j_group_norm(g4j_stream* stream, int dtype, int64_t batch, int64_t channels,
                   int64_t spatial, int64_t groups, float eps, const void* x, const void* gamma,
                   const void* beta, const void* scale, const void* shift, int64_t ss_stride,
                   int silu, void* out);

/* EDM2's normalize(x, dim): x viewed as (outer, dim, inner), each of the outer * inner vectors
 * along the middle axis divided by its RMS plus eps,
 *   out[o, d, i] = x[o, d, i] / (eps + sqrt(sum_d' x[o, d', i]^2) / sqrt(dim)),
 * the sum in F32 (eps outside the square root, added to the scaled norm as EDM2 does). Pixel norm
 * of a (B, C, H, W) tensor is (B, C, H*W); the per-head q/k/v norm of an EDM2 qkv (B, H*D*3, T)
 * is (B*H, D, 3*T). out may alias x. */
int g4j_normalize(g4j_stream* stream, int dtype, int64_t outer, int64_t dim, int64_t inner,
                  float eps, const void* x, void* out);

/* ---- attention ------------------------------------------------------------------------------ */

typedef enum g4j_qkv_layout {
  /* guided-diffusion QKVAttentionLegacy: qkv (B, H*3*D, T), per head [q | k | v] */
  G4J_QKV_LEGACY = 0,
  /* guided-diffusion QKVAttention (use_new_attention_order): qkv (B, 3*H*D, T), [q | k | v] */
  G4J_QKV_NEW_ORDER = 1,
  /* EDM2: qkv (B, H*D*3, T) viewed as (B, H, D, 3, T) */
  G4J_QKV_EDM2 = 2
} g4j_qkv_layout;

/* Multi-head self-attention over `tokens` positions: for each sample b and head h,
 *   out[b, h*D + c, t] = sum_s softmax_s(scale * sum_c' q[c', t] k[c', s]) v[c, s]
 * with q, k, v read from qkv in `layout`. Softmax in F32. On CUDA memory is linear in `tokens`
 * (no tokens x tokens matrix in global memory). out (B, H*D, T) must not alias qkv. */
int g4j_attention(g4j_stream* stream, int dtype, int64_t batch, int64_t heads, int64_t head_dim,
                  int64_t tokens, int layout, float scale, const void* qkv, void* out);

/* ---- convolution and matrix products ----------------------------------------------------------- */

/* 2-D convolution as torch.nn.functional.conv2d: x (B, Cin, H, W), weight (Cout, Cin, k, k),
 * bias (Cout) or NULL, zero padding, out (B, Cout, Ho, Wo) with Ho = (H + 2p - k) / stride + 1.
 * residual (the shape of out) or NULL is added to the result (a fused skip connection).
 * Any k >= 1 and stride >= 1 work; 1x1 and 3x3 with stride 1 and 2 are the tuned cases. */
int g4j_conv2d(g4j_stream* stream, int dtype, int64_t batch, int64_t in_channels, int64_t height,
               int64_t width, int64_t out_channels, int64_t kernel, int64_t stride,
               int64_t padding, const void* x, const void* weight, const void* bias,
               const void* residual, void* out);

/* Batched row-major GEMM: for each i < batch,
 *   C_i = alpha * op(A_i) op(B_i) + beta * C_i,  op(A_i) m x k, op(B_i) k x n,
 * A_i = a + i * stride_a elements, op(A) = A^T when trans_a (A stored k x m), likewise B.
 * When beta == 0, C is not read. */
int g4j_gemm(g4j_stream* stream, int dtype, int trans_a, int trans_b, int64_t m, int64_t n,
             int64_t k, float alpha, const void* a, int64_t lda, int64_t stride_a, const void* b,
             int64_t ldb, int64_t stride_b, float beta, void* c, int64_t ldc, int64_t stride_c,
             int64_t batch);

/* torch.nn.functional.linear: out (rows, out_features) = x (rows, in_features) W^T + bias,
 * weight (out_features, in_features), bias (out_features) or NULL. */
int g4j_linear(g4j_stream* stream, int dtype, int64_t rows, int64_t in_features,
               int64_t out_features, const void* x, const void* weight, const void* bias,
               void* out);

/* ---- resampling and embeddings ---------------------------------------------------------------- */

/* Nearest-neighbour 2x up-sampling: x (planes, H, W) -> out (planes, 2H, 2W). */
int g4j_upsample_nearest2x(g4j_stream* stream, int dtype, int64_t planes, int64_t height,
                           int64_t width, const void* x, void* out);

/* 2x2 average pooling, stride 2: x (planes, H, W) -> out (planes, H/2, W/2), odd edges dropped
 * as torch's avg_pool2d(2) does. */
int g4j_avg_pool2x2(g4j_stream* stream, int dtype, int64_t planes, int64_t height, int64_t width,
                    const void* x, void* out);

/* guided-diffusion's timestep_embedding: timesteps (n) in F32 on the stream's device,
 * out (n, dim) with out[i, j] = cos(t_i f_j) for j < half, sin(t_i f_{j-half}) for
 * half <= j < 2*half, 0 in the last column when dim is odd; f_j = exp(-ln(max_period) j / half),
 * half = dim / 2. */
int g4j_timestep_embedding(g4j_stream* stream, int dtype, int64_t n, int64_t dim,
                           float max_period, const float* timesteps, void* out);

/* ---- random numbers ------------------------------------------------------------------------ */

/* Standard normal noise from Philox4x32-10, independent of batching and device:
 * for sample j (global index first_sample + j) and element e < per_sample,
 *   key = (seed mod 2^32, seed >> 32), counter = (e / 4, j mod 2^32, j >> 32, stream_id),
 *   r = philox(counter, key); u(r) = ((r >> 9) + 0.5) * 2^-23, in (0, 1);
 *   (z0, z1) = boxmuller(u(r0), u(r1)), (z2, z3) = boxmuller(u(r2), u(r3)),
 *   boxmuller(u, v) = (sqrt(-2 ln u) cos(2 pi v), sqrt(-2 ln u) sin(2 pi v)),
 *   out[j * per_sample + e] = z_{e mod 4}.
 * stream_id separates uses within one run (e.g. the initial noise and each sampler step). */
int g4j_randn(g4j_stream* stream, int dtype, uint64_t seed, uint32_t stream_id,
              int64_t first_sample, int64_t n_samples, int64_t per_sample, void* out);

/* ---- backward (input gradients) -------------------------------------------------------------
 * Gradients with respect to an op's input only (no weight gradients): enough to differentiate a
 * classifier's log-probability with respect to the image, as classifier guidance does. Each
 * takes the forward op's arguments (or the subset the gradient depends on) plus dy, the
 * gradient of the loss with respect to the forward op's output, and writes dx. Recomputed
 * forward values (statistics, softmax weights) use the same F32 arithmetic as the forward op. */

/* The gradient of g4j_conv2d with respect to x (a transposed convolution): dy (B, Cout, Ho, Wo)
 * with Ho, Wo as g4j_conv2d computes them from height, width, kernel, stride and padding,
 * weight (Cout, Cin, k, k), dx (B, Cin, H, W):
 *   dx[b, ci, iy, ix] = sum over co, ky, kx with iy = oy * stride - padding + ky and
 *                       ix = ox * stride - padding + kx of dy[b, co, oy, ox] w[co, ci, ky, kx].
 * Input rows and columns that no window reads (the last ones when (H + 2p - k) % stride != 0)
 * get 0. dx must not alias dy or weight. */
int g4j_conv2d_backward_input(g4j_stream* stream, int dtype, int64_t batch, int64_t in_channels,
                              int64_t height, int64_t width, int64_t out_channels, int64_t kernel,
                              int64_t stride, int64_t padding, const void* dy, const void* weight,
                              void* dx);

/* The gradient with respect to x of g4j_group_norm's output, for the same batch, channels,
 * spatial, groups, eps, x, gamma, beta, scale, shift, ss_stride and silu (each of gamma, beta,
 * scale, shift may be NULL as there). With n = (x - mean) * rstd, h = n * gamma + beta,
 * z = h * (1 + scale) + shift and out = silu ? z * sigmoid(z) : z:
 *   dz = dy * (silu ? sigmoid(z) * (1 + z * (1 - sigmoid(z))) : 1),  g = dz * (1 + scale) * gamma,
 *   dx = rstd * (g - mean_group(g) - n * mean_group(g * n)).
 * beta and shift enter only through z, i.e. only when silu != 0. Statistics are recomputed from
 * x as the forward computes them. dx must not alias x or dy. */
int g4j_group_norm_backward(g4j_stream* stream, int dtype, int64_t batch, int64_t channels,
                            int64_t spatial, int64_t groups, float eps, const void* x,
                            const void* gamma, const void* beta, const void* scale,
                            const void* shift, int64_t ss_stride, int silu, const void* dy,
                            void* dx);

/* The gradient of g4j_attention with respect to qkv: dout (B, H*D, T) is the gradient of its out,
 * dqkv (B, 3*H*D, T) in the same `layout` as qkv. With P the softmax weights (recomputed),
 *   dv[c, s] = sum_t P[t, s] dout[c, t],   dP[t, s] = sum_c dout[c, t] v[c, s],
 *   dS[t, s] = P[t, s] (dP[t, s] - sum_s' P[t, s'] dP[t, s']),
 *   dq[c, t] = scale sum_s dS[t, s] k[c, s],   dk[c, s] = scale sum_t dS[t, s] q[c, t].
 * Every element of dqkv is written. dqkv must not alias qkv or dout. */
int g4j_attention_backward(g4j_stream* stream, int dtype, int64_t batch, int64_t heads,
                           int64_t head_dim, int64_t tokens, int layout, float scale,
                           const void* qkv, const void* dout, void* dqkv);

/* The gradient of g4j_avg_pool2x2: dy (planes, H/2, W/2), dx (planes, H, W) with
 * dx[p, y, x] = dy[p, y/2, x/2] / 4 inside the pooled area and 0 on a dropped odd last row or
 * column. dx must not alias dy. */
int g4j_avg_pool2x2_backward(g4j_stream* stream, int dtype, int64_t planes, int64_t height,
                             int64_t width, const void* dy, void* dx);

/* ---- sampler helpers --------------------------------------------------------------------------- */

/* guided-diffusion's learned-range variance as the standard deviation of a DDPM step's noise:
 *   frac = (v[i] + 1) / 2,  out[i] = exp(0.5 * (frac * max_log + (1 - frac) * min_log)),
 * with v the model's variance output (n elements), min_log the clipped log posterior variance
 * and max_log log(beta_t) of the step. out may alias v. */
int g4j_learned_range_std(g4j_stream* stream, int dtype, int64_t n, const void* v, float min_log,
                          float max_log, void* out);

#ifdef __cplusplus
}
#endif

#endif /* GUIDANCE4J_H */
