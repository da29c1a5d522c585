package org.guidance4j.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Java side of the per-sample guidance ops: arguments reach g4j_cfg_rescale and g4j_apg in the
 * right order (results against the formulas in double, on random (3, 2, 5, 7) tensors: samples of
 * 70 values), in-place use as documented, and the checks that name a wrong argument. The kernels'
 * own float64 checks are the native smoke test's.
 */
class GuidanceOpsTest {
  static final long[] SHAPE = {3, 2, 5, 7};
  static final int N = 3;
  static final int PER = 70;

  static float[] random(long seed, double scale) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[N * PER];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * scale);
    }
    return v;
  }

  static Tensor t(float[] v) {
    return Tensor.fromArray(Device.cpu(), v, SHAPE);
  }

  static double maxRelErr(float[] got, double[] want) {
    double scale = 0;
    for (double w : want) {
      scale = Math.max(scale, Math.abs(w));
    }
    double err = 0;
    for (int i = 0; i < want.length; i++) {
      err = Math.max(err, Math.abs(got[i] - want[i]));
    }
    return err / scale;
  }

  @Test
  void cfgRescaleIsDiffusersFormulaPerSample() {
    float[] a = random(1, 1);
    float[] b = random(2, 0.7);
    double scale = 5;
    double phi = 0.7;
    double[] want = new double[a.length];
    for (int s = 0; s < N; s++) {
      double[] g = new double[PER];
      double[] bs = new double[PER];
      for (int i = 0; i < PER; i++) {
        g[i] = a[s * PER + i] + scale * (b[s * PER + i] - a[s * PER + i]);
        bs[i] = b[s * PER + i];
      }
      double f = phi * std(bs) / std(g) + 1 - phi;
      for (int i = 0; i < PER; i++) {
        want[s * PER + i] = f * g[i];
      }
    }
    try (Tensor ta = t(a);
        Tensor tb = t(b);
        Tensor out = GuidanceOps.cfgRescale(ta, tb, (float) scale, (float) phi)) {
      assertTrue(maxRelErr(out.toFloatArray(), want) < 1e-6);
      // in place over a
      GuidanceOps.cfgRescaleInto(ta, tb, (float) scale, (float) phi, ta);
      assertTrue(maxRelErr(ta.toFloatArray(), want) < 1e-6);
    }
  }

  @Test
  void apgIsAlgorithmOnePerSample() {
    float[] x = random(3, 2);
    float[] a = random(4, 1);
    float[] b = random(5, 1);
    float[] m = random(6, 0.5);
    float px = 1.3f;
    float pg = -0.8f;
    double w = 4;
    double eta = 0.3;
    double r = 3;
    double beta = -0.5;
    double[] want = new double[a.length];
    double[] wantM = new double[a.length];
    int clipped = 0;
    for (int s = 0; s < N; s++) {
      double mm = 0;
      double md = 0;
      double dd = 0;
      for (int i = s * PER; i < (s + 1) * PER; i++) {
        wantM[i] = pg * ((double) b[i] - a[i]) + beta * m[i];
        double d = px * (double) x[i] + pg * (double) b[i];
        mm += wantM[i] * wantM[i];
        md += wantM[i] * d;
        dd += d * d;
      }
      double t = Math.min(1, r / Math.sqrt(mm));
      clipped += t < 1 ? 1 : 0;
      double k = md / dd;
      for (int i = s * PER; i < (s + 1) * PER; i++) {
        double d = px * (double) x[i] + pg * (double) b[i];
        double u = t * (wantM[i] - (1 - eta) * k * d);
        want[i] = b[i] + (w - 1) / pg * u;
      }
    }
    assertTrue(clipped > 0, "the threshold binds somewhere");
    var c = new GuidanceOps.ApgCoefficients(px, pg, (float) w, (float) eta, (float) r, (float) beta);
    try (Tensor tx = t(x);
        Tensor ta = t(a);
        Tensor tb = t(b);
        Tensor tm = t(m);
        Tensor out = Tensor.empty(Device.cpu(), DType.F32, SHAPE)) {
      GuidanceOps.apgInto(tx, ta, tb, c, tm, tm, out); // the momentum updated in place
      assertTrue(maxRelErr(out.toFloatArray(), want) < 1e-6);
      assertTrue(maxRelErr(tm.toFloatArray(), wantM) < 1e-6);
    }
  }

  @Test
  void wrongArgumentsAreNamed() {
    try (Tensor a = t(random(1, 1));
        Tensor b = t(random(2, 1));
        Tensor m = t(random(3, 1));
        Tensor small = Tensor.fromArray(Device.cpu(), new float[6], 6, 1);
        Tensor out = Tensor.empty(Device.cpu(), DType.F32, SHAPE)) {
      var e = assertThrows(InvalidArgumentException.class, () -> GuidanceOps.cfgRescaleInto(a, small, 2, 0.5f, out));
      assertTrue(e.getMessage().contains("b has shape"), e.getMessage());
      e = assertThrows(InvalidArgumentException.class, () -> GuidanceOps.cfgRescale(small, small, 2, 0.5f));
      assertTrue(e.getMessage().contains("at least 2 values"), e.getMessage());
      var c = new GuidanceOps.ApgCoefficients(1f, -1f, 3f, 0f, 0f, 0.5f);
      e = assertThrows(InvalidArgumentException.class, () -> GuidanceOps.apgInto(null, a, b, c, null, null, out));
      assertTrue(e.getMessage().contains("x must not be null"), e.getMessage());
      e = assertThrows(InvalidArgumentException.class, () -> GuidanceOps.apgInto(a, a, b, c, m, b, out));
      assertTrue(e.getMessage().contains("momentumOut overlaps b"), e.getMessage());
      e = assertThrows(InvalidArgumentException.class, () -> GuidanceOps.apgInto(a, a, b, c, m, null, m));
      assertTrue(e.getMessage().contains("out overlaps"), e.getMessage());
      var zero = new GuidanceOps.ApgCoefficients(0f, 0f, 3f, 0f, 0f, 0f);
      var native_ = assertThrows(InvalidArgumentException.class, () -> GuidanceOps.apgInto(null, a, b, zero, null, null, out));
      assertTrue(native_.getMessage().contains("pg"), native_.getMessage());
    }
  }

  static double std(double[] v) {
    double mean = 0;
    for (double x : v) {
      mean += x;
    }
    mean /= v.length;
    double q = 0;
    for (double x : v) {
      q += (x - mean) * (x - mean);
    }
    return Math.sqrt(q / (v.length - 1));
  }
}
