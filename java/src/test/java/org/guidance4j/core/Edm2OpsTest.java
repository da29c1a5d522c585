package org.guidance4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** EDM2's ops (scaleChannels, clamp, normalize) on the CPU against double references, odd shapes. */
class Edm2OpsTest {
  private static final Device CPU = Device.cpu();

  private static float[] randn(Random r, int n, double std) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextGaussian() * std);
    }
    return v;
  }

  private static void assertClose(double[] want, float[] got, double rtol, String what) {
    assertEquals(want.length, got.length, what + ": length");
    for (int i = 0; i < want.length; i++) {
      double err = Math.abs(got[i] - want[i]);
      assertTrue(err <= 1e-30 + rtol * Math.abs(want[i]), what + "[" + i + "]: got " + got[i] + ", want " + want[i]);
    }
  }

  @Test
  void scaleChannelsPerSampleAndShared() {
    Random r = new Random(1);
    int b = 3, c = 5, s = 7, k = 6;
    float[] x = randn(r, b * c * s, 1);
    float[] rows = randn(r, b * k, 1);
    float[] shared = randn(r, c, 1);
    try (Tensor xt = Tensor.fromArray(CPU, x, b, c, s);
        Tensor rt = Tensor.fromArray(CPU, rows, b, k);
        Tensor st = Tensor.fromArray(CPU, shared, c);
        Tensor perSample = Ops.scaleChannels(xt, rt);
        Tensor all = Ops.scaleChannels(xt, st)) {
      double[] want1 = new double[x.length];
      double[] want2 = new double[x.length];
      for (int i = 0; i < x.length; i++) {
        int bi = i / (c * s);
        int ci = (i / s) % c;
        want1[i] = (double) x[i] * rows[bi * k + ci];
        want2[i] = (double) x[i] * shared[ci];
      }
      assertClose(want1, perSample.toFloatArray(), 1e-6, "per sample");
      assertClose(want2, all.toFloatArray(), 1e-6, "shared");
      // in place, and one factor per sample through a (B, 1, rest) view
      float[] f = {2f, -0.5f, 3f};
      try (Tensor ft = Tensor.fromArray(CPU, f, b, 1)) {
        Ops.scaleChannelsInto(xt.reshape(b, 1, c * s), ft, xt.reshape(b, 1, c * s));
        double[] want3 = new double[x.length];
        for (int i = 0; i < x.length; i++) {
          want3[i] = (double) x[i] * f[i / (c * s)];
        }
        assertClose(want3, xt.toFloatArray(), 1e-6, "per-sample factor in place");
      }
      assertThrows(InvalidArgumentException.class, () -> Ops.scaleChannels(xt, st.reshape(1, 1, c)));
      try (Tensor bad = Tensor.empty(CPU, DType.F32, 2, c)) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> Ops.scaleChannels(xt, bad));
        assertTrue(e.getMessage().contains("scale has shape [2, 5]"), e.getMessage());
      }
    }
  }

  @Test
  void clampKeepsNanAndChecksBounds() {
    float[] x = {-3f, -1f, 0.5f, 2f, 300f, Float.NaN, -256.5f};
    try (Tensor xt = Tensor.fromArray(CPU, x);
        Tensor y = Ops.clamp(xt, -256f, 1f)) {
      float[] got = y.toFloatArray();
      float[] want = {-3f, -1f, 0.5f, 1f, 1f, Float.NaN, -256f};
      for (int i = 0; i < x.length; i++) {
        assertEquals(want[i], got[i], 0f, "element " + i);
      }
      assertThrows(InvalidArgumentException.class, () -> Ops.clamp(xt, 1f, -1f));
      assertThrows(InvalidArgumentException.class, () -> Ops.clamp(xt, Float.NaN, 1f));
    }
  }

  /** EDM2's normalize: x / (eps + ||x|| / sqrt(n)) along one axis, eps outside the root. */
  static double[] normalizeRef(float[] x, long outer, long dim, long inner, double eps) {
    double[] out = new double[x.length];
    for (long o = 0; o < outer; o++) {
      for (long i = 0; i < inner; i++) {
        double sum = 0;
        for (long d = 0; d < dim; d++) {
          double v = x[(int) ((o * dim + d) * inner + i)];
          sum += v * v;
        }
        double denom = eps + Math.sqrt(sum) / Math.sqrt(dim);
        for (long d = 0; d < dim; d++) {
          int k = (int) ((o * dim + d) * inner + i);
          out[k] = x[k] / denom;
        }
      }
    }
    return out;
  }

  @Test
  void normalizeAlongEachAxis() {
    Random r = new Random(2);
    long[] shape = {3, 7, 2, 5};
    float[] x = randn(r, 3 * 7 * 2 * 5, 1);
    for (int axis = 0; axis < shape.length; axis++) {
      long outer = 1;
      for (int d = 0; d < axis; d++) {
        outer *= shape[d];
      }
      long inner = x.length / (outer * shape[axis]);
      try (Tensor xt = Tensor.fromArray(CPU, x, shape);
          Tensor y = Ops.normalize(xt, axis, 1e-4f)) {
        assertClose(normalizeRef(x, outer, shape[axis], inner, 1e-4), y.toFloatArray(), 2e-6, "axis " + axis);
      }
    }
  }

  @Test
  void normalizeEpsMattersForTinyInputsAndWorksInPlace() {
    Random r = new Random(3);
    float[] x = randn(r, 2 * 9 * 11, 1e-4);
    try (Tensor xt = Tensor.fromArray(CPU, x, 2, 9, 11)) {
      Ops.normalizeInto(xt, 1, 1e-4f, xt);
      assertClose(normalizeRef(x, 2, 9, 11, 1e-4), xt.toFloatArray(), 2e-6, "tiny, in place");
      assertThrows(InvalidArgumentException.class, () -> Ops.normalize(xt, 3, 1e-4f));
      assertThrows(InvalidArgumentException.class, () -> Ops.normalize(xt, 1, 0f));
    }
  }
}
