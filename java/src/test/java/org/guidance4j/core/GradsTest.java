package org.guidance4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The backward ops and the learned-range variance on the CPU against a double-precision Java
 * reference written from the C API's formulas: random inputs, odd shapes (stride 2 over odd
 * sizes, groups of several channels, one token), outputs filled with NaN before the op so an
 * element it fails to write shows.
 */
class GradsTest {
  private static final Device CPU = Device.cpu();
  private static final double TOL = 2e-5; // of the largest |expected|: ~150 float ulps

  private final Random random = new Random(20241122);

  private double[] normal(int n, double mean, double sd) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = mean + sd * random.nextGaussian();
    }
    return v;
  }

  /** An F32 CPU tensor of the values rounded to float; {@code d} receives the rounded values. */
  private static Tensor tensor(double[] d, long... shape) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
      d[i] = f[i];
    }
    return Tensor.fromArray(CPU, f, shape);
  }

  private static Tensor poisoned(long... shape) {
    return Ops.fill(Tensor.empty(CPU, DType.F32, shape), Float.NaN);
  }

  private static void assertClose(double[] want, Tensor got, String what) {
    float[] g = got.toFloatArray();
    double max = 0;
    for (double w : want) {
      max = Math.max(max, Math.abs(w));
    }
    double worst = 0;
    int at = -1;
    for (int i = 0; i < want.length; i++) {
      double err = Math.abs(g[i] - want[i]);
      if (!(err <= worst)) { // NaN counts as worst
        worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
        at = i;
      }
    }
    assertTrue(
        worst <= TOL * max,
        what + ": |error| " + worst + " at " + at + " (got " + (at >= 0 ? g[at] : 0) + ", expected "
            + (at >= 0 ? want[at] : 0) + ") > " + TOL + " * " + max);
  }

  // ---- conv2d ---------------------------------------------------------------------------------

  private static double[] conv2dBackwardRef(
      double[] dy, double[] w, int b, int cin, int h, int wd, int cout, int k, int stride, int pad) {
    int ho = (h + 2 * pad - k) / stride + 1;
    int wo = (wd + 2 * pad - k) / stride + 1;
    double[] dx = new double[b * cin * h * wd];
    for (int n = 0; n < b; n++)
      for (int co = 0; co < cout; co++)
        for (int oy = 0; oy < ho; oy++)
          for (int ox = 0; ox < wo; ox++) {
            double g = dy[((n * cout + co) * ho + oy) * wo + ox];
            for (int ci = 0; ci < cin; ci++)
              for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++) {
                  int iy = oy * stride - pad + ky;
                  int ix = ox * stride - pad + kx;
                  if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                    dx[((n * cin + ci) * h + iy) * wd + ix] += g * w[((co * cin + ci) * k + ky) * k + kx];
                  }
                }
          }
    return dx;
  }

  @Test
  void conv2dBackwardInput() {
    int[][] shapes = { // b, cin, h, w, cout, k, stride, pad
      {2, 3, 7, 6, 4, 3, 2, 1}, {1, 5, 5, 9, 3, 3, 1, 1}, {3, 7, 3, 5, 2, 1, 1, 0}, {1, 2, 9, 8, 3, 1, 2, 0}, {1, 2, 6, 7, 2, 5, 1, 2}
    };
    for (int[] s : shapes) {
      int b = s[0], cin = s[1], h = s[2], w = s[3], cout = s[4], k = s[5], stride = s[6], pad = s[7];
      int ho = (h + 2 * pad - k) / stride + 1;
      int wo = (w + 2 * pad - k) / stride + 1;
      double[] dy = normal(b * cout * ho * wo, 0, 1);
      double[] wt = normal(cout * cin * k * k, 0, 0.5);
      try (Tensor tdy = tensor(dy, b, cout, ho, wo);
          Tensor tw = tensor(wt, cout, cin, k, k);
          Tensor dx = poisoned(b, cin, h, w)) {
        Grads.conv2dBackwardInputInto(tdy, tw, stride, pad, dx);
        assertClose(conv2dBackwardRef(dy, wt, b, cin, h, w, cout, k, stride, pad), dx, "conv2d " + java.util.Arrays.toString(s));
        try (Tensor plain = Grads.conv2dBackwardInput(tdy, tw, stride, pad, h, w)) {
          assertArrayEquals(dx.toFloatArray(), plain.toFloatArray());
        }
      }
    }
  }

  @Test
  void conv2dBackwardInputChecksDy() {
    try (Tensor dy = Tensor.empty(CPU, DType.F32, 1, 4, 4, 4);
        Tensor w = Tensor.empty(CPU, DType.F32, 4, 3, 3, 3)) {
      // stride 2 over 7 x 7 gives 4 x 4: right; over 9 x 9 it would give 5 x 5
      InvalidArgumentException e =
          assertThrows(InvalidArgumentException.class, () -> Grads.conv2dBackwardInput(dy, w, 2, 1, 9, 9));
      assertTrue(e.getMessage().contains("dy") && e.getMessage().contains("[1, 4, 5, 5]"), e.getMessage());
    }
  }

  // ---- group norm ------------------------------------------------------------------------------

  private static double sigmoid(double z) {
    return 1 / (1 + Math.exp(-z));
  }

  private static double[] groupNormBackwardRef(
      double[] x, double[] dy, int b, int c, int spatial, int groups, double eps,
      double[] gamma, double[] beta, double[] ss, boolean silu) {
    int cpg = c / groups;
    int count = cpg * spatial;
    double[] dx = new double[x.length];
    double[] n = new double[count];
    double[] g = new double[count];
    for (int s = 0; s < b; s++)
      for (int grp = 0; grp < groups; grp++) {
        int base = (s * c + grp * cpg) * spatial;
        double mean = 0;
        for (int i = 0; i < count; i++) {
          mean += x[base + i] / count;
        }
        double var = 0;
        for (int i = 0; i < count; i++) {
          var += (x[base + i] - mean) * (x[base + i] - mean) / count;
        }
        double rstd = 1 / Math.sqrt(var + eps);
        double mg = 0;
        double mgn = 0;
        for (int i = 0; i < count; i++) {
          int ch = grp * cpg + i / spatial;
          double ga = gamma == null ? 1 : gamma[ch];
          double be = beta == null ? 0 : beta[ch];
          double sc = ss == null ? 0 : ss[s * 2 * c + ch];
          double sh = ss == null ? 0 : ss[s * 2 * c + c + ch];
          n[i] = (x[base + i] - mean) * rstd;
          double dz = dy[base + i];
          if (silu) {
            double z = (n[i] * ga + be) * (1 + sc) + sh;
            double sg = sigmoid(z);
            dz *= sg * (1 + z * (1 - sg));
          }
          g[i] = dz * (1 + sc) * ga;
          mg += g[i] / count;
          mgn += g[i] * n[i] / count;
        }
        for (int i = 0; i < count; i++) {
          dx[base + i] = rstd * (g[i] - mg - n[i] * mgn);
        }
      }
    return dx;
  }

  @Test
  void groupNormBackward() {
    int b = 2, c = 6, h = 5, w = 3, groups = 3;
    double eps = 1e-5;
    for (int variant = 0; variant < 3; variant++) {
      boolean affine = variant != 1;
      boolean ada = variant == 0;
      boolean silu = variant != 2;
      double[] x = normal(b * c * h * w, 0.5, 1.5);
      double[] dy = normal(x.length, 0, 1);
      double[] gamma = affine ? normal(c, 1, 0.3) : null;
      double[] beta = affine ? normal(c, 0, 0.5) : null;
      double[] ss = ada ? normal(b * 2 * c, 0, 0.5) : null;
      try (Tensor tx = tensor(x, b, c, h, w);
          Tensor tdy = tensor(dy, b, c, h, w);
          Tensor tg = affine ? tensor(gamma, c) : null;
          Tensor tb = affine ? tensor(beta, c) : null;
          Tensor tss = ada ? tensor(ss, b, 2 * c) : null;
          Tensor dx = poisoned(b, c, h, w)) {
        Grads.groupNormBackwardInto(tx, groups, (float) eps, tg, tb, tss, silu, tdy, dx);
        double[] want = groupNormBackwardRef(x, dy, b, c, h * w, groups, (float) eps, gamma, beta, ss, silu);
        assertClose(want, dx, "group norm variant " + variant);
      }
    }
  }

  // ---- attention ------------------------------------------------------------------------------

  private static int qkvRow(QkvLayout layout, int which, int h, int c, int heads, int d) {
    return switch (layout) {
      case LEGACY -> (h * 3 + which) * d + c;
      case NEW_ORDER -> (which * heads + h) * d + c;
      case EDM2 -> (h * d + c) * 3 + which;
    };
  }

  private static double[] attentionBackwardRef(
      double[] qkv, double[] dout, int b, int heads, int d, int t, QkvLayout layout, double scale) {
    double[] dqkv = new double[qkv.length];
    int width = 3 * heads * d;
    for (int s = 0; s < b; s++)
      for (int h = 0; h < heads; h++) {
        int sample = s * width * t;
        int[] rq = new int[d];
        int[] rk = new int[d];
        int[] rv = new int[d];
        for (int c = 0; c < d; c++) {
          rq[c] = sample + qkvRow(layout, 0, h, c, heads, d) * t;
          rk[c] = sample + qkvRow(layout, 1, h, c, heads, d) * t;
          rv[c] = sample + qkvRow(layout, 2, h, c, heads, d) * t;
        }
        int dob = (s * heads + h) * d * t;
        double[][] p = new double[t][t];
        double[][] ds = new double[t][t];
        for (int i = 0; i < t; i++) {
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < t; j++) {
            double dot = 0;
            for (int c = 0; c < d; c++) {
              dot += qkv[rq[c] + i] * qkv[rk[c] + j];
            }
            p[i][j] = scale * dot;
            max = Math.max(max, p[i][j]);
          }
          double sum = 0;
          for (int j = 0; j < t; j++) {
            p[i][j] = Math.exp(p[i][j] - max);
            sum += p[i][j];
          }
          double delta = 0;
          double[] dp = new double[t];
          for (int j = 0; j < t; j++) {
            p[i][j] /= sum;
            for (int c = 0; c < d; c++) {
              dp[j] += dout[dob + c * t + i] * qkv[rv[c] + j];
            }
            delta += p[i][j] * dp[j];
          }
          for (int j = 0; j < t; j++) {
            ds[i][j] = p[i][j] * (dp[j] - delta);
          }
        }
        for (int c = 0; c < d; c++)
          for (int i = 0; i < t; i++)
            for (int j = 0; j < t; j++) {
              dqkv[rq[c] + i] += scale * ds[i][j] * qkv[rk[c] + j];
              dqkv[rk[c] + j] += scale * ds[i][j] * qkv[rq[c] + i];
              dqkv[rv[c] + j] += p[i][j] * dout[dob + c * t + i];
            }
      }
    return dqkv;
  }

  @ParameterizedTest
  @EnumSource(QkvLayout.class)
  void attentionBackward(QkvLayout layout) {
    int[][] shapes = {{2, 2, 3, 5}, {1, 3, 4, 1}, {1, 1, 17, 11}}; // b, heads, head_dim, tokens
    for (int[] s : shapes) {
      int b = s[0], heads = s[1], d = s[2], t = s[3];
      float scale = (float) (1 / Math.sqrt(d));
      double[] qkv = normal(b * 3 * heads * d * t, 0, 1);
      double[] dout = normal(b * heads * d * t, 0, 1);
      try (Tensor tq = tensor(qkv, b, 3L * heads * d, t);
          Tensor tdo = tensor(dout, b, (long) heads * d, t);
          Tensor dq = poisoned(b, 3L * heads * d, t)) {
        Grads.attentionBackwardInto(tq, heads, layout, scale, tdo, dq);
        assertClose(attentionBackwardRef(qkv, dout, b, heads, d, t, layout, scale), dq, layout + " " + java.util.Arrays.toString(s));
      }
    }
  }

  // ---- pooling and the learned-range variance ----------------------------------------------------

  @Test
  void avgPool2x2Backward() {
    int[][] shapes = {{2, 3, 5, 7}, {1, 1, 2, 2}, {1, 2, 4, 3}};
    for (int[] s : shapes) {
      int b = s[0], c = s[1], h = s[2], w = s[3];
      double[] dy = normal(b * c * (h / 2) * (w / 2), 0, 1);
      double[] want = new double[b * c * h * w];
      for (int p = 0; p < b * c; p++)
        for (int y = 0; y < 2 * (h / 2); y++)
          for (int x = 0; x < 2 * (w / 2); x++) {
            want[(p * h + y) * w + x] = dy[(p * (h / 2) + y / 2) * (w / 2) + x / 2] / 4;
          }
      try (Tensor tdy = tensor(dy, b, c, h / 2, w / 2);
          Tensor dx = poisoned(b, c, h, w)) {
        Grads.avgPool2x2BackwardInto(tdy, dx);
        assertClose(want, dx, "avg pool " + java.util.Arrays.toString(s));
        try (Tensor plain = Grads.avgPool2x2Backward(tdy, h, w)) {
          assertArrayEquals(dx.toFloatArray(), plain.toFloatArray());
        }
      }
    }
  }

  @Test
  void learnedRangeStd() {
    float minLog = -13.3f;
    float maxLog = -9.2f;
    double[] v = new double[3 * 5 * 7];
    for (int i = 0; i < v.length; i++) {
      v[i] = 2.4 * random.nextDouble() - 1.2;
    }
    try (Tensor tv = tensor(v, 3, 5, 7);
        Tensor out = poisoned(3, 5, 7)) {
      Grads.learnedRangeStdInto(tv, minLog, maxLog, out);
      double[] want = new double[v.length];
      for (int i = 0; i < v.length; i++) {
        double frac = (v[i] + 1) / 2;
        want[i] = Math.exp(0.5 * (frac * maxLog + (1 - frac) * minLog));
      }
      assertClose(want, out, "learned range");
      Grads.learnedRangeStdInto(tv, minLog, maxLog, tv); // in place
      assertArrayEquals(out.toFloatArray(), tv.toFloatArray());
    }
  }
}
