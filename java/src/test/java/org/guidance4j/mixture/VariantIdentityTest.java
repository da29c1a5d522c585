package org.guidance4j.mixture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.guidance.AdaptiveProjected;
import org.guidance4j.guidance.Autoguidance;
import org.guidance4j.guidance.ClassifierFree;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.PerturbedAttentionGuidance;
import org.guidance4j.guidance.RescaledClassifierFree;
import org.guidance4j.sampling.DenoiserView;
import org.guidance4j.sampling.SamplingRun;
import org.junit.jupiter.api.Test;

/**
 * Exact statements about the guidance variants on the Gaussian mixture, whose denoiser is known in
 * closed form: single guided evaluations against the papers' formulas computed in double from the
 * mixture's exact predictions (CFG rescale on eps, APG with momentum across two steps of one run,
 * CFG + PAG), the identities APG(eta 1, no threshold, no momentum) = CFG and PAG = autoguidance
 * when the perturbed model is the guide, and batch invariance of APG's per-sample momentum.
 *
 * <p>Tolerance of the single evaluations: 1e-5 relative L2 over the batch. The library stores the
 * model outputs in float32 (u = 6e-8) and combines them in a few float32 operations; the largest
 * amplification is CFG's and APG's scale (w - 1 = 3) on a difference of two outputs, and the map
 * back to D multiplies eps by sigma, so the float32 result is expected within a few 1e-7.
 */
class VariantIdentityTest {
  static final GaussianMixture MIX = Mixtures.fourInTwoClasses();
  static final long[] LABELS = {0, 1, 1, 0, 1};
  static final int DIM = 8;

  static float[] points(double sigma, long seed) {
    Random rng = new Random(seed);
    float[] x = new float[LABELS.length * DIM];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (rng.nextGaussian() * Math.sqrt(0.4 + sigma * sigma));
    }
    return x;
  }

  static float[] denoise(Guidance g, MixtureModel model, float[] x, double sigma) {
    try (Tensor t = Tensor.fromArray(Device.cpu(), x, LABELS.length, 2, 2, 2);
        Tensor d = DenoiserView.of(model, g).denoise(t, sigma, LABELS)) {
      return d.toFloatArray();
    }
  }

  /** The mixture's exact eps of sample i under a view, at the abar the model gives sigma. */
  static double[] eps(MixtureModel model, float[] x, int i, double sigma, int label) {
    return eps(model, model.mixture(), x, i, sigma, label);
  }

  /** The same for another mixture (the perturbed stand-in), at model's abar for sigma. */
  static double[] eps(MixtureModel model, GaussianMixture mix, float[] x, int i, double sigma, int label) {
    double abar = model.abar(model.noiseInput(sigma));
    double[] vp = new double[DIM];
    for (int d = 0; d < DIM; d++) {
      vp[d] = x[i * DIM + d] / Math.sqrt(1 + sigma * sigma);
    }
    return mix.eps(vp, abar, mix.viewWeights(label));
  }

  static double relL2(float[] got, double[] want) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < want.length; i++) {
      num += (got[i] - want[i]) * (got[i] - want[i]);
      den += want[i] * want[i];
    }
    return Math.sqrt(num / den);
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  static double std(double[] a) {
    double m = 0;
    for (double v : a) {
      m += v;
    }
    m /= a.length;
    double q = 0;
    for (double v : a) {
      q += (v - m) * (v - m);
    }
    return Math.sqrt(q / (a.length - 1));
  }

  @Test
  void rescaleIsDiffusersFormulaOnEps() {
    MixtureModel model = new MixtureModel(MIX, Mixtures.SHAPE, true);
    double gamma = 4;
    double phi = 0.7;
    for (double sigma : new double[] {0.05, 0.8, 6.0}) {
      float[] x = points(sigma, 5);
      float[] got = denoise(new RescaledClassifierFree(model, gamma, phi), model, x, sigma);
      double[] want = new double[x.length];
      for (int i = 0; i < LABELS.length; i++) {
        double[] c = eps(model, x, i, sigma, (int) LABELS[i]);
        double[] u = eps(model, x, i, sigma, -1);
        double[] g = new double[DIM];
        for (int d = 0; d < DIM; d++) {
          g[d] = u[d] + gamma * (c[d] - u[d]);
        }
        double f = phi * std(c) / std(g) + (1 - phi);
        for (int d = 0; d < DIM; d++) {
          want[i * DIM + d] = x[i * DIM + d] - sigma * f * g[d];
        }
      }
      double err = relL2(got, want);
      System.out.printf("cfg rescale at sigma %.2f: rel L2 %.2e%n", sigma, err);
      assertTrue(err < 1e-5, "sigma " + sigma + ": rel L2 " + err);
    }
  }

  @Test
  void apgIsAlgorithmOneWithMomentumAcrossARun() {
    MixtureModel model = new MixtureModel(MIX, Mixtures.SHAPE, true);
    double w = 4;
    double eta = 0.25;
    double r = 0.35;
    double beta = -0.5;
    double[] sigmas = {3.0, 1.2};
    float[][] xs = {points(sigmas[0], 6), points(sigmas[1], 7)};
    AdaptiveProjected apg = new AdaptiveProjected(model, w, eta, r, beta);
    assertThrows(IllegalStateException.class, () -> denoise(apg, model, xs[0], sigmas[0]), "the template keeps no state");
    float[][] got = new float[2][];
    try (Guidance run = apg.openRun()) {
      for (int k = 0; k < 2; k++) {
        got[k] = denoise(run, model, xs[k], sigmas[k]);
      }
    }
    double[][] momentum = new double[LABELS.length][DIM];
    int clipped = 0;
    for (int k = 0; k < 2; k++) {
      double sigma = sigmas[k];
      float[] x = xs[k];
      double[] want = new double[x.length];
      for (int i = 0; i < LABELS.length; i++) {
        double[] ec = eps(model, x, i, sigma, (int) LABELS[i]);
        double[] eu = eps(model, x, i, sigma, -1);
        double[] dc = new double[DIM];
        double[] m = momentum[i];
        for (int d = 0; d < DIM; d++) {
          dc[d] = x[i * DIM + d] - sigma * ec[d];
          double du = x[i * DIM + d] - sigma * eu[d];
          m[d] = (dc[d] - du) + beta * m[d];
        }
        double norm = Math.sqrt(dot(m, m));
        double t = Math.min(1, r / norm);
        clipped += t < 1 ? 1 : 0;
        double k0 = dot(m, dc) / dot(dc, dc);
        for (int d = 0; d < DIM; d++) {
          double diff = t * m[d];
          double par = t * k0 * dc[d];
          want[i * DIM + d] = dc[d] + (w - 1) * ((diff - par) + eta * par);
        }
      }
      double err = relL2(got[k], want);
      System.out.printf("apg step %d at sigma %.2f: rel L2 %.2e%n", k, sigma, err);
      assertTrue(err < 1e-5, "step " + k + ": rel L2 " + err);
    }
    assertTrue(clipped > 0 && clipped < 2 * LABELS.length, "the threshold must bind for some samples only, bound " + clipped);
  }

  @Test
  void cfgWithPagIsTheSumOfBothDirections() {
    GaussianMixture broad = MIX.broadened(1.5);
    MixtureModel model = new MixtureModel(MIX, Mixtures.SHAPE, true).withPerturbation(broad);
    double gamma = 2.5;
    double s = 1.5;
    double sigma = 0.9;
    float[] x = points(sigma, 8);
    float[] got = denoise(new PerturbedAttentionGuidance(model, s, List.of("mid"), gamma), model, x, sigma);
    double[] want = new double[x.length];
    for (int i = 0; i < LABELS.length; i++) {
      double[] c = eps(model, x, i, sigma, (int) LABELS[i]);
      double[] u = eps(model, x, i, sigma, -1);
      double[] p = eps(model, broad, x, i, sigma, (int) LABELS[i]);
      for (int d = 0; d < DIM; d++) {
        double g = u[d] + gamma * (c[d] - u[d]) + s * (c[d] - p[d]);
        want[i * DIM + d] = x[i * DIM + d] - sigma * g;
      }
    }
    double err = relL2(got, want);
    System.out.printf("cfg + pag: rel L2 %.2e%n", err);
    assertTrue(err < 1e-5, "rel L2 " + err);
  }

  @Test
  void apgWithEtaOneAndNoThresholdOrMomentumIsCfg() {
    MixtureModel model = new MixtureModel(MIX, Mixtures.SHAPE, true);
    int n = 200;
    long[] labels = SamplingRun.classes(n, 0, 1);
    float[] apg = sample(model, new AdaptiveProjected(model, 3, 1, 0, 0), labels, 1);
    float[] cfg = sample(model, new ClassifierFree(model, 3), labels, 1);
    double[] want = new double[cfg.length];
    for (int i = 0; i < cfg.length; i++) {
      want[i] = cfg[i];
    }
    double err = relL2(apg, want);
    System.out.printf("apg(w 3, eta 1) vs cfg 3 over a Heun run: rel L2 %.2e%n", err);
    assertTrue(err < 1e-5, "rel L2 " + err);
  }

  @Test
  void pagWithThePerturbedModelAsGuideIsAutoguidance() {
    MixtureModel model = new MixtureModel(MIX, Mixtures.SHAPE, true).withPerturbation(MIX.broadened(1.5));
    MixtureModel broad = new MixtureModel(MIX.broadened(1.5), Mixtures.SHAPE, true);
    int n = 100;
    long[] labels = SamplingRun.classes(n, 0, 1);
    float[] pag = sample(model, new PerturbedAttentionGuidance(model, 1.5, List.of(MixtureModel.LAYER)), labels, 1);
    float[] auto = sample(model, new Autoguidance(model, broad, 2.5), labels, 1);
    assertArrayEquals(auto, pag, "D_p + (1 + s)(D - D_p) is autoguidance with w = 1 + s");
  }

  @Test
  void apgMomentumIsPerSample() {
    MixtureModel model = new MixtureModel(MIX, Mixtures.SHAPE, true);
    int n = 6;
    long[] labels = SamplingRun.classes(n, 0, 1, 1);
    AdaptiveProjected apg = new AdaptiveProjected(model, 4, 0, 0.5, -0.5);
    float[] whole = sample(model, apg, labels, n);
    float[] ones = sample(model, apg, labels, 1);
    float[] pairs = sample(model, apg, labels, 4);
    assertArrayEquals(whole, ones, "batch 1 vs one batch of 6");
    assertArrayEquals(whole, pairs, "batches of 4 and 2 vs one batch of 6");
  }

  static float[] sample(MixtureModel model, Guidance g, long[] labels, int batch) {
    try (Tensor out =
        SamplingRun.of(model).sampler(MixtureSamplingTest.heun32(model)).guidance(g).batch(batch).sample(labels.length, labels, 91)) {
      return out.toFloatArray();
    }
  }
}
