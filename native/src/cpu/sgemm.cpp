// Packed, cache-blocked SGEMM (the Goto/BLIS loop structure). The work is split into tasks of
// (job, kNC-column block[, row group]). For each k block a task packs its kKC x kNC block of
// op(B) into kNR-column panels (about 256 KiB, kept in L2), and for each kNR panel (kept in L1)
// runs the micro-kernel over the kMR-row panels of op(A), which are packed once per call when
// several column blocks share them, else by the task itself. Row groups split the work only
// when there are too few column blocks to keep every thread busy, since each group packs the
// same B block again.
#include "sgemm.h"

#include <algorithm>

#include "../ops.h"
#include "scratch.h"
#include "sgemm_kernel.h"
#include "thread_pool.h"
#include "vec.h"

namespace g4j {
namespace cpu {
namespace {

constexpr int64_t kKC = 256;                  // k block: a kKC x kNR B panel fits L1
constexpr int64_t kNC = 8 * kNR;              // column block per task
constexpr int64_t kMC = 16 * kMR;             // rows swept per B panel (A block stays in L2)
constexpr int64_t kMaxPackedA = int64_t(4) << 20;  // floats of packed A per chunk of rows

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Packs rows [row0, row0 + rows) x columns [p0, p0 + kc) of op(A) into one kMR-row panel,
// dst[p * kMR + r], zero-padding missing rows.
void pack_a_panel(bool trans, const float* a, int64_t lda, int64_t row0, int64_t rows, int64_t p0,
                  int64_t kc, float* dst) {
  if (trans) {  // A stored k x m: a row of the panel is contiguous
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = a + (p0 + p) * lda + row0;
      float* d = dst + p * kMR;
      int64_t r = 0;
      for (; r < rows; ++r) d[r] = src[r];
      for (; r < kMR; ++r) d[r] = 0.0f;
    }
    return;
  }
  for (int64_t r = 0; r < kMR; ++r) {
    if (r < rows) {
      const float* src = a + (row0 + r) * lda + p0;
      for (int64_t p = 0; p < kc; ++p) dst[p * kMR + r] = src[p];
    } else {
      for (int64_t p = 0; p < kc; ++p) dst[p * kMR + r] = 0.0f;
    }
  }
}

void zero(float* d, int64_t n) {
  for (int64_t i = 0; i < n; ++i) d[i] = 0.0f;
}

// Short copies (at most a panel row) inline: a libc memcpy call costs more than the copy.
void copy(const float* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) vstore(dst + i, vload(src + i));
  for (; i < n; ++i) dst[i] = src[i];
}

// Packs op(B) rows [p0, p0 + kc) x columns [j0, j0 + nc) into kNR-column panels, panel q at
// dst + q * kNR * kc holding dst[p * kNR + c], zero-padding missing columns.
void pack_b_matrix(const BSource& s, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
  const int64_t panels = ceil_div(nc, kNR);
  for (int64_t p = 0; p < kc; ++p) {
    const float* row = s.data + (p0 + p) * s.ld + j0;
    // Rows lie a whole row of B apart (often a new page each), which the hardware prefetcher
    // does not follow: fetch a few rows ahead explicitly.
    if (p + 4 < kc) {
      const char* ahead = reinterpret_cast<const char*>(row + 4 * s.ld);
      for (int64_t off = 0; off < nc * int64_t(sizeof(float)); off += 64) {
        __builtin_prefetch(ahead + off);
      }
    }
    for (int64_t q = 0; q < panels; ++q) {
      float* d = dst + q * kNR * kc + p * kNR;
      const int64_t cols = std::min<int64_t>(kNR, nc - q * kNR);
      copy(row + q * kNR, d, cols);
      if (cols < kNR) zero(d + cols, kNR - cols);
    }
  }
}

void pack_b_transposed(const BSource& s, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                       float* dst) {
  const int64_t panels = ceil_div(nc, kNR);
  for (int64_t q = 0; q < panels; ++q) {
    float* d = dst + q * kNR * kc;
    const int64_t cols = std::min<int64_t>(kNR, nc - q * kNR);
    for (int64_t c = 0; c < cols; ++c) {
      const float* src = s.data + (j0 + q * kNR + c) * s.ld + p0;
      for (int64_t p = 0; p < kc; ++p) d[p * kNR + c] = src[p];
    }
    for (int64_t c = cols; c < kNR; ++c) {
      for (int64_t p = 0; p < kc; ++p) d[p * kNR + c] = 0.0f;
    }
  }
}

// im2col inside the packing: each panel's columns are split into runs along one output row,
// and every (channel, ky, kx) row of the panel copies those runs from one input row, with
// zeros where the kernel window hangs over the padding.
void pack_b_im2col(const BSource& s, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                   float* dst) {
  const int64_t kk = s.kernel * s.kernel;
  const int64_t plane = s.height * s.width;
  const int64_t panels = ceil_div(nc, kNR);
  struct Run {
    int64_t oy, ox, len, off;
  };
  Run runs[kNR];
  for (int64_t q = 0; q < panels; ++q) {
    float* d = dst + q * kNR * kc;
    const int64_t cols = std::min<int64_t>(kNR, nc - q * kNR);
    int nruns = 0;
    for (int64_t off = 0, j = j0 + q * kNR; off < cols;) {
      const int64_t oy = j / s.out_width, ox = j % s.out_width;
      const int64_t len = std::min(cols - off, s.out_width - ox);
      runs[nruns++] = Run{oy, ox, len, off};
      off += len;
      j += len;
    }
    int64_t ci = p0 / kk, ky = (p0 % kk) / s.kernel, kx = p0 % s.kernel;
    for (int64_t p = 0; p < kc; ++p) {
      float* row = d + p * kNR;
      const float* xc = s.data + ci * plane;
      for (int i = 0; i < nruns; ++i) {
        const Run& run = runs[i];
        float* o = row + run.off;
        const int64_t iy = run.oy * s.stride - s.padding + ky;
        if (iy < 0 || iy >= s.height) {
          zero(o, run.len);
          continue;
        }
        const float* xr = xc + iy * s.width;
        const int64_t ix0 = run.ox * s.stride - s.padding + kx;
        // Valid t satisfy 0 <= ix0 + t * stride < width.
        int64_t lo = ix0 >= 0 ? 0 : ceil_div(-ix0, s.stride);
        int64_t hi = ix0 >= s.width ? 0 : ceil_div(s.width - ix0, s.stride);
        hi = std::min(hi, run.len);
        lo = std::min(lo, hi);
        zero(o, lo);
        if (s.stride == 1) {
          copy(xr + ix0 + lo, o + lo, hi - lo);
        } else {
          for (int64_t t = lo; t < hi; ++t) o[t] = xr[ix0 + t * s.stride];
        }
        zero(o + hi, run.len - hi);
      }
      if (cols < kNR) zero(row + cols, kNR - cols);
      if (++kx == s.kernel) {
        kx = 0;
        if (++ky == s.kernel) {
          ky = 0;
          ++ci;
        }
      }
    }
  }
}

void pack_b(const BSource& s, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
  switch (s.kind) {
    case BSource::kMatrix: pack_b_matrix(s, p0, kc, j0, nc, dst); break;
    case BSource::kMatrixT: pack_b_transposed(s, p0, kc, j0, nc, dst); break;
    case BSource::kIm2col: pack_b_im2col(s, p0, kc, j0, nc, dst); break;
  }
}

// Adds the epilogue's bias and residual terms to an already-written block of C.
void add_extras(const Epilogue& e, float* c, int64_t ldc, int64_t i0, int64_t rows, int64_t j0,
                int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    float* cr = c + r * ldc;
    if (e.row_bias) {
      const float rb = e.row_bias[i0 + r];
      for (int64_t j = 0; j < cols; ++j) cr[j] += rb;
    }
    if (e.col_bias) {
      const float* cb = e.col_bias + j0;
      for (int64_t j = 0; j < cols; ++j) cr[j] += cb[j];
    }
    if (e.residual) {
      const float* res = e.residual + (i0 + r) * e.ldr + j0;
      for (int64_t j = 0; j < cols; ++j) cr[j] += res[j];
    }
  }
}

bool has_extras(const Epilogue& e) { return e.row_bias || e.col_bias || e.residual; }

// Writes one micro-tile: the first k block applies alpha and beta, later ones accumulate, the
// last adds bias and residual. c points at C[i0, j0].
void store_tile(const float* tile, int64_t rows, int64_t cols, float* c, int64_t ldc, int64_t i0,
                int64_t j0, bool first, bool last, const Epilogue& e) {
  const float alpha = e.alpha, beta = e.beta;
  for (int64_t r = 0; r < rows; ++r) {
    const float* t = tile + r * kNR;
    float* cr = c + r * ldc;
    if (!first) {
      for (int64_t j = 0; j < cols; ++j) cr[j] += alpha * t[j];
    } else if (beta == 0.0f) {
      for (int64_t j = 0; j < cols; ++j) cr[j] = alpha * t[j];
    } else {
      for (int64_t j = 0; j < cols; ++j) cr[j] = alpha * t[j] + beta * cr[j];
    }
  }
  if (last && has_extras(e)) add_extras(e, c, ldc, i0, rows, j0, cols);
}

// C = beta * C + extras, for alpha == 0 or k == 0 where the product is exactly zero.
void scale_only(int64_t m, int64_t n, const GemmJob& job) {
  parallel_for(0, m, std::max<int64_t>(1, 16384 / n), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      float* cr = job.c + i * job.ldc;
      if (job.epi.beta == 0.0f) {
        for (int64_t j = 0; j < n; ++j) cr[j] = 0.0f;
      } else {
        for (int64_t j = 0; j < n; ++j) cr[j] *= job.epi.beta;
      }
      add_extras(job.epi, cr, job.ldc, i, 1, 0, n);
    }
  });
}

struct Plan {
  bool trans_a;
  const float* a;
  int64_t lda;
  int64_t k;
  int64_t kc;       // k block size (the last block may be shorter)
  int64_t i0, mc;   // the chunk of rows being computed
  int64_t panels;   // kMR panels in the chunk
  const float* apack;  // all of the chunk's op(A) packed, or NULL: each task packs its own
};

// Packs panels [q0, q1) of the chunk for the k block at p0 into dst, panel q at
// dst + (q - q0) * kMR * kc.
void pack_a_block(const Plan& pl, int64_t p0, int64_t kc, int64_t q0, int64_t q1, float* dst) {
  for (int64_t q = q0; q < q1; ++q) {
    const int64_t r0 = q * kMR;
    // A row-major A is read as kMR separate row pieces, too many streams for the hardware
    // prefetcher when A comes from memory (large weights): fetch the next panel's rows now.
    if (!pl.trans_a && q + 1 < q1) {
      const int64_t next = pl.i0 + r0 + kMR;
      const int64_t rows = std::min<int64_t>(kMR, pl.i0 + pl.mc - next);
      for (int64_t r = 0; r < rows; ++r) {
        const char* src = reinterpret_cast<const char*>(pl.a + (next + r) * pl.lda + p0);
        for (int64_t off = 0; off < kc * int64_t(sizeof(float)); off += 64) {
          __builtin_prefetch(src + off);
        }
      }
    }
    pack_a_panel(pl.trans_a, pl.a, pl.lda, pl.i0 + r0, std::min<int64_t>(kMR, pl.mc - r0), p0, kc,
                 dst + (q - q0) * kMR * kc);
  }
}

// One task: job `job`, columns [j0, j0 + nc), row panels [q0, q1) of the chunk.
void run_task(const Plan& pl, const GemmJob& job, int64_t j0, int64_t nc, int64_t q0, int64_t q1) {
  float* bpack = scratch(kScratchPackB, size_t(std::min(pl.kc, pl.k) * ceil_div(nc, kNR) * kNR));
  float* alocal = pl.apack ? nullptr : scratch(kScratchPackA, size_t((q1 - q0) * kMR * pl.kc));
  alignas(64) float tile[kMR * kNR];
  const int64_t bpanels = ceil_div(nc, kNR);
  for (int64_t p0 = 0; p0 < pl.k; p0 += pl.kc) {
    const int64_t kc = std::min(pl.kc, pl.k - p0);
    const bool first = p0 == 0, last = p0 + kc == pl.k;
    const float* ablock;  // panel q at ablock + (q - q0) * kMR * kc
    if (pl.apack) {
      ablock = pl.apack + p0 * (pl.panels * kMR) + q0 * kMR * kc;
    } else {
      pack_a_block(pl, p0, kc, q0, q1, alocal);
      ablock = alocal;
    }
    pack_b(job.b, p0, kc, j0, nc, bpack);
    for (int64_t qs = q0; qs < q1; qs += kMC / kMR) {
      const int64_t qe = std::min(q1, qs + kMC / kMR);
      for (int64_t jb = 0; jb < bpanels; ++jb) {
        const float* bp = bpack + jb * kNR * kc;
        const int64_t cols = std::min<int64_t>(kNR, nc - jb * kNR);
        const int64_t jg = j0 + jb * kNR;
        for (int64_t q = qs; q < qe; ++q) {
          const int64_t il = q * kMR;  // row within the chunk
          const int64_t rows = std::min<int64_t>(kMR, pl.mc - il);
          micro_kernel(kc, ablock + (q - q0) * kMR * kc, bp, tile);
          const int64_t ig = pl.i0 + il;
          store_tile(tile, rows, cols, job.c + ig * job.ldc + jg, job.ldc, ig, jg, first, last,
                     job.epi);
        }
      }
    }
  }
}

}  // namespace

namespace {

// Splits the chunk of pl into tasks and runs them on the pool.
void compute(const Plan& pl, int64_t n, const GemmJob* jobs, int64_t count) {
  const int64_t threads = in_parallel_region() ? 1 : num_threads();
  const int64_t nblocks = ceil_div(n, kNC);
  const int64_t base = count * nblocks;
  int64_t groups = 1;
  if (threads > 1 && base < 2 * threads) groups = std::min(pl.panels, ceil_div(2 * threads, base));
  // Tiny problems are not worth waking the pool for.
  const double flops = 2.0 * double(pl.mc) * double(n) * double(pl.k) * double(count);
  const int64_t tasks = base * groups;
  const int64_t grain = flops < 2e6 ? tasks : 1;
  parallel_for(0, tasks, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t g = t % groups, jb = (t / groups) % nblocks, job = t / (groups * nblocks);
      const int64_t q0 = pl.panels * g / groups, q1 = pl.panels * (g + 1) / groups;
      const int64_t j0 = jb * kNC;
      run_task(pl, jobs[job], j0, std::min(kNC, n - j0), q0, q1);
    }
  });
}

int64_t k_block(int64_t k) { return ceil_div(k, ceil_div(k, kKC)); }

}  // namespace

size_t packed_a_floats(int64_t m, int64_t k) { return size_t(ceil_div(m, kMR) * kMR * k); }

void pack_a(bool trans_a, int64_t m, int64_t k, const float* a, int64_t lda, float* dst) {
  Plan pl{};
  pl.trans_a = trans_a;
  pl.a = a;
  pl.lda = lda;
  pl.k = k;
  pl.kc = k_block(k);
  pl.mc = m;
  pl.panels = ceil_div(m, kMR);
  for (int64_t p0 = 0; p0 < k; p0 += pl.kc) {
    pack_a_block(pl, p0, std::min(pl.kc, k - p0), 0, pl.panels, dst + p0 * (pl.panels * kMR));
  }
}

void sgemm_packed(int64_t m, int64_t n, int64_t k, const float* apacked, const GemmJob* jobs,
                  int64_t count) {
  if (m <= 0 || n <= 0 || k <= 0 || count <= 0) return;
  Plan pl{};
  pl.k = k;
  pl.kc = k_block(k);
  pl.mc = m;
  pl.panels = ceil_div(m, kMR);
  pl.apack = apacked;
  compute(pl, n, jobs, count);
}

void sgemm_jobs(bool trans_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                const GemmJob* jobs, int64_t count) {
  if (m <= 0 || n <= 0 || count <= 0) return;
  if (k <= 0) {
    for (int64_t i = 0; i < count; ++i) scale_only(m, n, jobs[i]);
    return;
  }
  // Jobs with alpha == 0 must not touch A or B (NaN * 0 would leak in); run them apart.
  bool any_zero_alpha = false;
  for (int64_t i = 0; i < count; ++i) any_zero_alpha |= jobs[i].epi.alpha == 0.0f;
  if (any_zero_alpha) {
    for (int64_t i = 0; i < count; ++i) {
      if (jobs[i].epi.alpha == 0.0f) {
        scale_only(m, n, jobs[i]);
      } else {
        sgemm_jobs(trans_a, m, n, k, a, lda, &jobs[i], 1);
      }
    }
    return;
  }

  // No separate small-m path: every row must be summed in the same order whatever m is, so a
  // sample's result does not depend on the batch it is computed in (seeded sampling is
  // batch-invariant bit for bit).
  Plan pl{};
  pl.trans_a = trans_a;
  pl.a = a;
  pl.lda = lda;
  pl.k = k;
  pl.kc = k_block(k);
  const int64_t kblocks = ceil_div(k, pl.kc);
  const int64_t chunk_rows = std::max<int64_t>(kMR, (kMaxPackedA / k) / kMR * kMR);
  const int64_t col_blocks = count * ceil_div(n, kNC);

  for (int64_t i0 = 0; i0 < m; i0 += chunk_rows) {
    pl.i0 = i0;
    pl.mc = std::min(chunk_rows, m - i0);
    pl.panels = ceil_div(pl.mc, kMR);
    // A used by several column blocks is packed once for all of them. A used by one (small
    // outputs with large weights, e.g. 8x8 convolutions) is packed by its task into L2 right
    // before use, instead of streaming a packed copy of the weights through memory.
    pl.apack = nullptr;
    if (col_blocks >= 4) {
      float* apack = scratch(kScratchPackA, size_t(pl.panels * kMR * k));
      parallel_for(0, kblocks, 1, [&](int64_t lo, int64_t hi) {
        for (int64_t kb = lo; kb < hi; ++kb) {
          const int64_t p0 = kb * pl.kc, kc = std::min(pl.kc, k - p0);
          pack_a_block(pl, p0, kc, 0, pl.panels, apack + p0 * (pl.panels * kMR));
        }
      });
      pl.apack = apack;
    }
    compute(pl, n, jobs, count);
  }
}

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc) {
  GemmJob job;
  job.b.kind = trans_b ? BSource::kMatrixT : BSource::kMatrix;
  job.b.data = b;
  job.b.ld = ldb;
  job.c = c;
  job.ldc = ldc;
  job.epi.alpha = alpha;
  job.epi.beta = beta;
  sgemm_jobs(trans_a, m, n, k, a, lda, &job, 1);
}

}  // namespace cpu
}  // namespace g4j
