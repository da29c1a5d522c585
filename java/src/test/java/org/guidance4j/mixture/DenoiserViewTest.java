package org.guidance4j.mixture;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.guidance4j.core.Device;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.schedule.Prediction;
import org.guidance4j.sampling.DenoiserView;
import org.junit.jupiter.api.Test;

/**
 * The denoiser view of a discrete model (VP input scaling, sigma -> fractional timestep, output
 * -> x0 for each prediction type) equals the mixture's posterior mean E[y | x] computed directly
 * in EDM scaling, at noise levels across the discrete schedule's range.
 */
class DenoiserViewTest {
  static final GaussianMixture MIX = Mixtures.fourInTwoClasses();

  @Test
  void equalsThePosteriorMeanForEveryPredictionType() {
    SplittableRandom rng = new SplittableRandom(3);
    int n = 6;
    int dim = MIX.dim;
    long[] labels = {0, 1, 2, 0, 1, 2}; // 2 = the null class: the whole mixture
    for (Prediction p : Prediction.values()) {
      MixtureModel model = new MixtureModel(MIX, Mixtures.SHAPE, true, p);
      for (double sigma : new double[] {0.03, 0.4, 1.7, 9.0, 60.0}) {
        float[] x = new float[n * dim];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) (rng.nextGaussian() * Math.sqrt(0.3 + sigma * sigma));
        }
        float[] got;
        try (Tensor xt = Tensor.fromArray(Device.cpu(), x, n, 2, 2, 2);
            Tensor d = DenoiserView.of(model).denoise(xt, sigma, labels)) {
          got = d.toFloatArray();
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < n; i++) {
          double[] row = new double[dim];
          for (int k = 0; k < dim; k++) {
            row[k] = x[i * dim + k];
          }
          int label = labels[i] == MIX.numClasses ? -1 : (int) labels[i];
          double[] want = MIX.posteriorMeanEdm(row, sigma, MIX.viewWeights(label));
          for (int k = 0; k < dim; k++) {
            num += Math.pow(got[i * dim + k] - want[k], 2);
            den += want[k] * want[k];
          }
        }
        double err = Math.sqrt(num / den);
        System.out.printf("%s, sigma %.2f: rel L2 to E[y | x] %.2e%n", p, sigma, err);
        // float32 network input/output and the float timestep t(sigma): a few 1e-6 expected
        assertTrue(err < 1e-4, p + " at sigma " + sigma + ": rel L2 " + err);
      }
    }
  }

  @Test
  void rejectsBadSigmaAndShape() {
    MixtureModel model = new MixtureModel(MIX, Mixtures.SHAPE, true);
    try (Tensor x = Tensor.fromArray(Device.cpu(), new float[8], 1, 2, 2, 2);
        Tensor wrong = Tensor.fromArray(Device.cpu(), new float[8], 1, 8, 1, 1)) {
      assertThrows(InvalidArgumentException.class, () -> DenoiserView.of(model).denoise(x, 0, new long[] {0}));
      assertThrows(InvalidArgumentException.class, () -> DenoiserView.of(model).denoise(x, Double.NaN, new long[] {0}));
      var e = assertThrows(InvalidArgumentException.class, () -> DenoiserView.of(model).denoise(wrong, 1, new long[] {0}));
      assertTrue(e.getMessage().contains("expected (N, 2, 2, 2)"), e.getMessage());
    }
  }
}
