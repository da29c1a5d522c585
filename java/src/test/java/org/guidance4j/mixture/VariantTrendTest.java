package org.guidance4j.mixture;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.guidance4j.guidance.AdaptiveProjected;
import org.guidance4j.guidance.ClassifierFree;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.PerturbedAttentionGuidance;
import org.guidance4j.guidance.RescaledClassifierFree;
import org.guidance4j.sampling.SamplingRun;
import org.junit.jupiter.api.Test;

/**
 * What the guidance variants do to a distribution, on the exact mixture denoiser with Heun (32 EDM
 * steps), as GuidanceTrendTest does for CFG and autoguidance:
 *
 * <ul>
 *   <li>CFG rescale pulls CFG's samples back: at gamma 4 their mean norm (CFG inflates it from 0.89
 *       unguided to 1.27) falls as phi grows, while the requested class stays far more likely
 *       than without guidance;
 *   <li>APG without its parallel part (eta 0) raises the share of the requested class with w as
 *       CFG does, without CFG's growth of the samples' norm;
 *   <li>PAG, with the broadened mixture as the perturbed model, concentrates samples on the modes
 *       as s grows (autoguidance's effect, without a second model).
 * </ul>
 *
 * Margins: z standard errors (Bonferroni over a test's comparisons, alpha 1e-3). Runs share their
 * noise per sample (the same seed, a deterministic sampler), so where a comparison is between runs,
 * the rescale and APG-vs-CFG norms use the standard error of the per-sample (paired) difference;
 * class fractions and distances the conservative unpaired one. Measured beforehand with
 * tools/mixture_variant_check.py (float64 NumPy, N = 40000): mean norms 1.270, 1.255, 1.244 for phi
 * 0, 0.5, 1 at gamma 4 (requested class 0.999 to 0.991, unguided 0.81); APG eta 0 at w = 2 and 4:
 * requested class 0.907, 0.993, mean norm 0.856, 0.794 (CFG at 4: 1.270); PAG s = 0, 1, 2: mean
 * distance to the nearest mode 0.656, 0.448, 0.309.
 */
class VariantTrendTest {
  static final GaussianMixture MIX = Mixtures.fourInTwoClasses();
  static final int N = 2000;
  static final long[] LABELS = SamplingRun.classes(N, 0, 1);

  static double[][] sample(MixtureModel model, Guidance guidance, long seed) {
    return GuidanceTrendTest.sample(model, guidance, LABELS, seed);
  }

  static double[] norms(double[][] x) {
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      double s = 0;
      for (double v : x[i]) {
        s += v * v;
      }
      out[i] = Math.sqrt(s);
    }
    return out;
  }

  static double requestedClass(double[][] x) {
    int hits = 0;
    for (int i = 0; i < x.length; i++) {
      hits += MIX.classOf(MIX.nearestComponent(x[i])) == LABELS[i] ? 1 : 0;
    }
    return (double) hits / x.length;
  }

  /** The paired difference a - b of per-sample values, with its standard error. */
  static SampleStats.Estimate paired(double[] a, double[] b) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i] - b[i];
    }
    return SampleStats.mean(d);
  }

  static void assertFractionRises(String what, double p1, double p2, double z) {
    double se = Math.sqrt(p1 * (1 - p1) / N + p2 * (1 - p2) / N);
    assertTrue(p2 - p1 > z * se, String.format("%s: requested-class fraction %.4f -> %.4f, not more than %.2f x SE %.4f", what, p1, p2, z, se));
  }

  @Test
  void rescalePullsCfgSamplesBack() {
    MixtureModel model = new MixtureModel(MIX, Mixtures.SHAPE, true);
    double z = SampleStats.bonferroniZ(1e-3, 3);
    double[][] cfg = sample(model, new ClassifierFree(model, 4), 70);
    double[][] half = sample(model, new RescaledClassifierFree(model, 4, 0.5), 70);
    double[][] full = sample(model, new RescaledClassifierFree(model, 4, 1.0), 70);
    double[][] none = sample(model, new ClassifierFree(model, 1), 70);
    double[] n0 = norms(cfg);
    double[] n1 = norms(half);
    double[] n2 = norms(full);
    System.out.printf("cfg 4, rescale phi 0 / 0.5 / 1: mean norm %.4f / %.4f / %.4f; requested class %.4f / %.4f / %.4f (unguided %.4f)%n",
        SampleStats.mean(n0).value(), SampleStats.mean(n1).value(), SampleStats.mean(n2).value(),
        requestedClass(cfg), requestedClass(half), requestedClass(full), requestedClass(none));
    for (SampleStats.Estimate drop : List.of(paired(n0, n1), paired(n1, n2))) {
      assertTrue(drop.value() > z * drop.se(), "mean norm drop " + drop.value() + " not above " + z + " x SE " + drop.se());
    }
    assertFractionRises("unguided -> cfg 4 rescaled with phi 1", requestedClass(none), requestedClass(full), z);
  }

  @Test
  void apgGuidesWithoutCfgsNormGrowth() {
    MixtureModel model = new MixtureModel(MIX, Mixtures.SHAPE, true);
    double z = SampleStats.bonferroniZ(1e-3, 3);
    double[] ws = {1, 2, 4};
    double[][][] x = new double[ws.length][][];
    for (int k = 0; k < ws.length; k++) {
      x[k] = sample(model, new AdaptiveProjected(model, ws[k], 0, 0, 0), 71);
    }
    double[][] cfg4 = sample(model, new ClassifierFree(model, 4), 71);
    SampleStats.Estimate below = paired(norms(cfg4), norms(x[2]));
    System.out.printf("apg eta 0, w 1 / 2 / 4: requested class %.4f / %.4f / %.4f; mean norm at w 4 %.4f, cfg 4 %.4f%n",
        requestedClass(x[0]), requestedClass(x[1]), requestedClass(x[2]),
        SampleStats.mean(norms(x[2])).value(), SampleStats.mean(norms(cfg4)).value());
    for (int k = 1; k < ws.length; k++) {
      assertFractionRises("apg w " + ws[k - 1] + " -> " + ws[k], requestedClass(x[k - 1]), requestedClass(x[k]), z);
    }
    assertTrue(below.value() > z * below.se(), "cfg 4's mean norm minus apg 4's " + below.value() + " not above " + z + " x SE " + below.se());
  }

  @Test
  void pagConcentratesOnTheModes() {
    MixtureModel model = new MixtureModel(MIX, Mixtures.SHAPE, true).withPerturbation(MIX.broadened(1.5));
    double z = SampleStats.bonferroniZ(1e-3, 2);
    double[] ss = {0, 1, 2};
    SampleStats.Estimate[] distance = new SampleStats.Estimate[ss.length];
    for (int k = 0; k < ss.length; k++) {
      double[][] x = sample(model, new PerturbedAttentionGuidance(model, ss[k], List.of("mid")), 72);
      double[] d = new double[N];
      for (int i = 0; i < N; i++) {
        d[i] = MIX.distanceToNearestMean(x[i]);
      }
      distance[k] = SampleStats.mean(d);
    }
    System.out.printf("pag s 0 / 1 / 2: mean distance to the nearest mode %.4f / %.4f / %.4f%n",
        distance[0].value(), distance[1].value(), distance[2].value());
    for (int k = 1; k < ss.length; k++) {
      double se = Math.hypot(distance[k - 1].se(), distance[k].se());
      double drop = distance[k - 1].value() - distance[k].value();
      assertTrue(drop > z * se, String.format("s %.0f -> %.0f: distance %.4f -> %.4f, not lower by more than %.2f x SE %.4f",
          ss[k - 1], ss[k], distance[k - 1].value(), distance[k].value(), z, se));
    }
  }
}
