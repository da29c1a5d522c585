package org.guidance4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fused ops of the networks' norm, residual and embedding call sites (normalizeSilu,
 * concatScale, axpbyClamp, embedLinear*) on the CPU against double references, odd shapes, and
 * their argument checks.
 */
class FusedOpsTest {
  private static final Device CPU = Device.cpu();

  private static float[] randn(Random r, int n, double mean, double std) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (mean + r.nextGaussian() * std);
    }
    return v;
  }

  private static double silu(double x) {
    return x / (1 + Math.exp(-x));
  }

  private static void assertClose(double[] want, float[] got, double tol, String what) {
    assertEquals(want.length, got.length, what + ": length");
    for (int i = 0; i < want.length; i++) {
      if (Double.isNaN(want[i])) {
        assertTrue(Float.isNaN(got[i]), what + "[" + i + "]: got " + got[i] + ", want NaN");
        continue;
      }
      double err = Math.abs(got[i] - want[i]);
      assertTrue(err <= tol * (1 + Math.abs(want[i])), what + "[" + i + "]: got " + got[i] + ", want " + want[i]);
    }
  }

  @Test
  void concatScaleJoinsScalesAndActivates() {
    Random r = new Random(3);
    int b = 2, ca = 3, cb = 4, s = 5, c = ca + cb;
    float[] a = randn(r, b * ca * s, 0, 2);
    float[] bb = randn(r, b * cb * s, 0, 2);
    float[] scale = randn(r, c, 1, 0.5);
    try (Tensor at = Tensor.fromArray(CPU, a, b, ca, s);
        Tensor bt = Tensor.fromArray(CPU, bb, b, cb, s);
        Tensor st = Tensor.fromArray(CPU, scale, c);
        Tensor out = Tensor.empty(CPU, DType.F32, b, c, s);
        Tensor act = Tensor.empty(CPU, DType.F32, b, c, s)) {
      Ops.concatScaleInto(at, bt, st, out, act);
      double[] want = new double[b * c * s];
      double[] wantAct = new double[want.length];
      for (int n = 0; n < b; n++) {
        for (int ch = 0; ch < c; ch++) {
          for (int i = 0; i < s; i++) {
            double x = ch < ca ? a[(n * ca + ch) * s + i] : bb[(n * cb + ch - ca) * s + i];
            int k = (n * c + ch) * s + i;
            want[k] = x * scale[ch];
            wantAct[k] = silu(want[k]);
          }
        }
      }
      assertClose(want, out.toFloatArray(), 1e-6, "mp_cat");
      assertClose(wantAct, act.toFloatArray(), 1e-6, "silu(mp_cat)");
    }
  }

  @Test
  void concatScaleInPlacePerSampleRows() {
    Random r = new Random(4);
    int b = 3, c = 5, s = 7, k = 8;
    float[] h = randn(r, b * c * s, 0, 2);
    float[] rows = randn(r, b * k, 1, 0.5);
    try (Tensor ht = Tensor.fromArray(CPU, h, b, c, s);
        Tensor rt = Tensor.fromArray(CPU, rows, b, k)) {
      Ops.concatScaleInto(ht, null, rt, null, ht);
      double[] want = new double[h.length];
      for (int i = 0; i < h.length; i++) {
        want[i] = silu((double) h[i] * rows[(i / (c * s)) * k + (i / s) % c]);
      }
      assertClose(want, ht.toFloatArray(), 1e-6, "silu(h * scale) in place");
      assertThrows(InvalidArgumentException.class, () -> Ops.concatScaleInto(ht, null, rt, null, null));
      try (Tensor other = Tensor.empty(CPU, DType.F32, b, c + 1, s)) {
        assertThrows(InvalidArgumentException.class, () -> Ops.concatScaleInto(ht, ht, rt, other, null));
      }
    }
  }

  @Test
  void axpbyClampSumsAndClips() {
    Random r = new Random(5);
    int n = 37;
    float[] x = randn(r, n, 0, 3);
    float[] y = randn(r, n, 0, 3);
    try (Tensor xt = Tensor.fromArray(CPU, x);
        Tensor yt = Tensor.fromArray(CPU, y);
        Tensor out = Ops.axpbyClamp(0.6f, xt, 0.8f, yt, -1.5f, 2f)) {
      double[] want = new double[n];
      for (int i = 0; i < n; i++) {
        want[i] = Math.min(Math.max(0.6 * x[i] + 0.8 * y[i], -1.5), 2.0);
      }
      assertClose(want, out.toFloatArray(), 1e-6, "clamp(ax + by)");
      assertThrows(InvalidArgumentException.class, () -> Ops.axpbyClamp(1f, xt, 1f, yt, 1f, -1f));
    }
  }

  @Test
  void normalizeSiluMatchesNormalizeThenSilu() {
    Random r = new Random(6);
    int b = 2, c = 9, s = 11;
    float[] x = randn(r, b * c * s, 0, 2);
    try (Tensor xt = Tensor.fromArray(CPU, x, b, c, s);
        Tensor plain = Ops.normalize(xt, 1, 1e-4f);
        Tensor out = Tensor.empty(CPU, DType.F32, b, c, s);
        Tensor act = Tensor.empty(CPU, DType.F32, b, c, s)) {
      Ops.normalizeSiluInto(xt, 1, 1e-4f, out, act);
      float[] p = plain.toFloatArray();
      float[] o = out.toFloatArray();
      float[] a = act.toFloatArray();
      for (int i = 0; i < p.length; i++) {
        assertEquals(p[i], o[i], 0f, "normalize at " + i);
        assertEquals(silu(p[i]), a[i], 1e-6 * (1 + Math.abs(p[i])), "silu at " + i);
      }
      assertThrows(InvalidArgumentException.class, () -> Ops.normalizeSiluInto(xt, 1, 1e-4f, out, out));
    }
  }

  @Test
  void embedLinearWithRowAndColumnTables() {
    Random r = new Random(7);
    int rows = 3, in = 13, outF = 6, labels = 4;
    float[] x = randn(r, rows * in, 0, 1);
    float[] w = randn(r, outF * in, 0, 0.3);
    float[] bias = randn(r, outF, 0, 0.5);
    float[] table = randn(r, labels * outF, 0, 1);
    float[] index = {2, 0, 4}; // 4 is outside [0, 4): that row is NaN
    try (Tensor xt = Tensor.fromArray(CPU, x, rows, in);
        Tensor wt = Tensor.fromArray(CPU, w, outF, in);
        Tensor bt = Tensor.fromArray(CPU, bias, outF);
        Tensor rowTable = Tensor.fromArray(CPU, table, labels, outF);
        Tensor colTable = Tensor.fromArray(CPU, table, outF, labels);
        Tensor it = Tensor.fromArray(CPU, index);
        Tensor plain = Ops.embedLinear(xt, wt, bt, false);
        Tensor withRow = Ops.embedLinearPlusRow(xt, wt, bt, rowTable, it, true);
        Tensor withCol = Ops.embedLinearPlusColumn(xt, wt, null, colTable, it, true)) {
      double[] want = new double[rows * outF];
      double[] wantRow = new double[want.length];
      double[] wantCol = new double[want.length];
      for (int i = 0; i < rows; i++) {
        for (int o = 0; o < outF; o++) {
          double dot = 0;
          for (int k = 0; k < in; k++) {
            dot += (double) x[i * in + k] * w[o * in + k];
          }
          int y = (int) index[i];
          want[i * outF + o] = dot + bias[o];
          wantRow[i * outF + o] = y < labels ? silu(dot + bias[o] + table[y * outF + o]) : Double.NaN;
          wantCol[i * outF + o] = y < labels ? silu(dot + table[o * labels + y]) : Double.NaN;
        }
      }
      assertClose(want, plain.toFloatArray(), 1e-6, "x W^T + b");
      assertClose(wantRow, withRow.toFloatArray(), 1e-6, "silu(x W^T + b + table[y])");
      assertClose(wantCol, withCol.toFloatArray(), 1e-6, "silu(x W^T + table[:, y])");
      try (Tensor shortIndex = Tensor.fromArray(CPU, new float[] {0, 1})) {
        assertThrows(
            InvalidArgumentException.class, () -> Ops.embedLinearPlusRow(xt, wt, bt, rowTable, shortIndex, false));
      }
    }
  }
}
