package org.guidance4j.toy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.guidance.Autoguidance;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.Unguided;
import org.guidance4j.sampling.SamplingRun;
import org.junit.jupiter.api.Test;

/**
 * The toy's sampling path (EdmSampler over a continuous x0 model) on the closed-form denoiser: the
 * exact denoiser through 32 Heun steps lands on the true distribution, and truncation (the flat
 * guide) narrows it, as lowering the temperature must.
 */
class ToySamplingTest {
  static final ToyMixture A = ToyMixture.classA();
  static final int N = 4096;
  static final double THRESHOLD = ToyMetrics.threshold(A, A.sample(65536, 0, 1));

  static ToyMetrics sample(Guidance g, ExactDenoiser model) {
    double[] y = A.sample(N, ToyComparison.SIGMA_MAX, 9);
    float[] init = new float[2 * N];
    for (int i = 0; i < init.length; i++) {
      init[i] = (float) (y[i] / ToyComparison.SIGMA_MAX);
    }
    try (Tensor x0 = Tensor.fromArray(Device.cpu(), init, N, 2, 1, 1);
        Tensor out = SamplingRun.of(model).sampler(ToyComparison.sampler()).guidance(g).batch(N).initialNoise(x0).sample(N, null, 9)) {
      float[] f = out.toFloatArray();
      double[] p = new double[f.length];
      for (int i = 0; i < f.length; i++) {
        p[i] = f[i];
      }
      return ToyMetrics.of(A, p, THRESHOLD);
    }
  }

  @Test
  void exactDenoiserReproducesTheTruthAndTruncationNarrowsIt() {
    ExactDenoiser exact = new ExactDenoiser(A);
    ToyMetrics truth = ToyMetrics.of(A, A.sample(N, 0, 10), THRESHOLD);
    ToyMetrics ode = sample(new Unguided(exact), exact);
    ToyMetrics cold = sample(new Autoguidance(exact, new FlatDenoiser(), 3), exact);
    System.out.println("direct samples: " + truth + "\nexact denoiser, Heun 32: " + ode + "\ntruncation w=3: " + cold);
    // 1% outliers by construction: 3% leaves room for the ODE's discretisation and n = 4096
    assertTrue(ode.outlierShare() < 0.03, "outliers " + ode.outlierShare());
    assertTrue(ode.overlap() > truth.overlap() - 0.03, "overlap " + ode.overlap() + " vs direct " + truth.overlap());
    assertTrue(ode.tipCoverage() >= truth.tipCoverage() - 0.1, "tips " + ode.tipCoverage() + " vs direct " + truth.tipCoverage());
    assertTrue(cold.meanLogDensity() > ode.meanLogDensity() + 0.3, "truncation log p " + cold.meanLogDensity() + " vs " + ode.meanLogDensity());
    assertTrue(cold.overlap() < ode.overlap() - 0.1, "truncation overlap " + cold.overlap() + " vs " + ode.overlap());
  }
}
