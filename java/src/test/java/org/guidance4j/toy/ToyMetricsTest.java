package org.guidance4j.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The metrics on sample sets whose answers are known. */
class ToyMetricsTest {
  static final ToyMixture A = ToyMixture.classA();
  static final double THRESHOLD = ToyMetrics.threshold(A, A.sample(100_000, 0, 1));

  @Test
  void groundTruthSamplesScoreAsGroundTruth() {
    ToyMetrics m = ToyMetrics.of(A, A.sample(16384, 0, 2), THRESHOLD);
    System.out.println("ground truth: " + m + ", threshold " + THRESHOLD);
    // 1% by construction; 5 binomial standard errors at n = 16384 is 0.39%
    assertEquals(0.01, m.outlierShare(), 0.004);
    assertEquals(1.0, m.branchCoverage(), 0.02);
    assertEquals(1.0, m.tipCoverage(), 0.04);
    assertTrue(m.overlap() > 0.95, "overlap " + m.overlap());
  }

  @Test
  void farPointsAreOutliersAndTheTrunkAloneCoversLittle() {
    double[] far = new double[200];
    for (int i = 0; i < 100; i++) {
      far[2 * i] = -1.5 + 0.01 * i;
      far[2 * i + 1] = -1.5;
    }
    ToyMetrics outliers = ToyMetrics.of(A, far, THRESHOLD);
    assertEquals(1.0, outliers.outlierShare());
    assertEquals(0.0, outliers.branchCoverage());

    // every sample from the trunk's components (branch 0): fidelity fine, diversity gone
    int trunk = 0;
    for (int k = 0; k < A.components(); k++) {
      trunk += A.branchOf(k) == 0 ? 1 : 0;
    }
    double[] pts = new double[2 * 800];
    for (int i = 0; i < 800; i++) {
      double[] mu = A.mean(i % trunk);
      pts[2 * i] = mu[0];
      pts[2 * i + 1] = mu[1];
    }
    ToyMetrics narrow = ToyMetrics.of(A, pts, THRESHOLD);
    assertEquals(0.0, narrow.outlierShare());
    assertEquals(1.0 / 127, narrow.branchCoverage(), 1e-12);
    assertEquals(0.0, narrow.tipCoverage());
    // all of the histogram in the trunk: the overlap is the trunk's mass
    assertEquals(A.branchMasses()[0], narrow.overlap(), 1e-12);
  }
}
