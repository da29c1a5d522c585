package org.guidance4j.mixture;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.guidance4j.core.Tensor;
import org.guidance4j.guidance.Autoguidance;
import org.guidance4j.guidance.ClassifierFree;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.sampling.SamplingRun;
import org.junit.jupiter.api.Test;

/**
 * What guidance does to a distribution, on the exact mixture denoiser with Heun (32 EDM steps):
 * classifier-free guidance moves samples toward the requested class as gamma grows, and
 * autoguidance with a deliberately broadened guide (same means, standard deviations x1.5)
 * concentrates samples on the modes as w grows.
 *
 * <p>Margins: each step up in scale must improve the statistic by more than z standard errors of
 * the difference of two independent N-sample estimates, sqrt(v1/N + v2/N), z the Bonferroni bound
 * for alpha = 1e-3 over the two comparisons of a test (z = 3.48). The runs share their noise, which
 * correlates the estimates positively and makes the true standard error of the difference smaller,
 * so this margin is conservative. Measured beforehand (float64 NumPy, N = 3000): class-0 fractions
 * 0.82, 0.96, 1.00 for gamma 1, 2, 4; mean distances to the nearest mode 0.63, 0.43, 0.30 for w 1, 2, 3.
 */
class GuidanceTrendTest {
  static final GaussianMixture MIX = Mixtures.fourInTwoClasses();
  static final int N = 2000;
  static final double Z = SampleStats.bonferroniZ(1e-3, 2);

  static double[][] sample(MixtureModel model, Guidance guidance, long[] labels, long seed) {
    try (Tensor out =
        SamplingRun.of(model).sampler(MixtureSamplingTest.heun32(model)).guidance(guidance).batch(N).sample(N, labels, seed)) {
      return SampleStats.rows(out.toFloatArray(), MIX.dim);
    }
  }

  @Test
  void cfgMovesMassTowardTheRequestedClass() {
    MixtureModel model = new MixtureModel(MIX, Mixtures.SHAPE, true);
    long[] labels = SamplingRun.classes(N, 0, 1);
    double[] gammas = {1, 2, 4};
    double[] fraction = new double[gammas.length];
    for (int g = 0; g < gammas.length; g++) {
      double[][] x = sample(model, new ClassifierFree(model, gammas[g]), labels, 50);
      int hits = 0;
      for (int i = 0; i < N; i++) {
        hits += MIX.classOf(MIX.nearestComponent(x[i])) == labels[i] ? 1 : 0;
      }
      fraction[g] = (double) hits / N;
    }
    System.out.printf("cfg: fraction nearest to the requested class %.4f, %.4f, %.4f for gamma 1, 2, 4%n",
        fraction[0], fraction[1], fraction[2]);
    for (int g = 1; g < gammas.length; g++) {
      double p1 = fraction[g - 1];
      double p2 = fraction[g];
      double se = Math.sqrt(p1 * (1 - p1) / N + p2 * (1 - p2) / N);
      assertTrue(p2 - p1 > Z * se,
          String.format("gamma %.0f -> %.0f: fraction %.4f -> %.4f, not more than %.2f x SE %.4f", gammas[g - 1], gammas[g], p1, p2, Z, se));
    }
  }

  @Test
  void autoguidanceWithABroadenedGuideConcentratesOnTheModes() {
    MixtureModel main = new MixtureModel(MIX, Mixtures.SHAPE, true);
    MixtureModel guide = new MixtureModel(MIX.broadened(1.5), Mixtures.SHAPE, true);
    long[] labels = SamplingRun.classes(N, 0, 1);
    double[] ws = {1, 2, 3};
    SampleStats.Estimate[] distance = new SampleStats.Estimate[ws.length];
    for (int k = 0; k < ws.length; k++) {
      double[][] x = sample(main, new Autoguidance(main, guide, ws[k]), labels, 51);
      double[] d = new double[N];
      for (int i = 0; i < N; i++) {
        d[i] = MIX.distanceToNearestMean(x[i]);
      }
      distance[k] = SampleStats.mean(d);
    }
    System.out.printf("autoguidance: mean distance to the nearest mode %.4f, %.4f, %.4f for w 1, 2, 3%n",
        distance[0].value(), distance[1].value(), distance[2].value());
    for (int k = 1; k < ws.length; k++) {
      double se = Math.hypot(distance[k - 1].se(), distance[k].se());
      double drop = distance[k - 1].value() - distance[k].value();
      assertTrue(drop > Z * se,
          String.format("w %.0f -> %.0f: mean distance %.4f -> %.4f, not lower by more than %.2f x SE %.4f",
              ws[k - 1], ws[k], distance[k - 1].value(), distance[k].value(), Z, se));
    }
  }
}
