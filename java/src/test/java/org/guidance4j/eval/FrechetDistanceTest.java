package org.guidance4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Fréchet distance against its closed forms, on random data. */
class FrechetDistanceTest {
  /** n rows of d correlated, non-zero-mean features. */
  static double[][] rows(Random r, int n, int d) {
    double[][] mix = new double[d][d];
    for (double[] m : mix) {
      for (int j = 0; j < d; j++) {
        m[j] = r.nextGaussian();
      }
    }
    double[][] x = new double[n][d];
    for (int i = 0; i < n; i++) {
      double[] z = new double[d];
      for (int j = 0; j < d; j++) {
        z[j] = r.nextGaussian();
      }
      for (int j = 0; j < d; j++) {
        double s = 0.3 * j - 1;
        for (int k = 0; k < d; k++) {
          s += mix[j][k] * z[k];
        }
        x[i][j] = s;
      }
    }
    return x;
  }

  @Test
  void equalSetsAreAtZero() {
    Random r = new Random(1);
    for (int d : new int[] {1, 7, 64}) {
      double[][] x = rows(r, 3 * d + 5, d);
      Gaussian g = Gaussian.fit(x);
      double fd = FrechetDistance.between(x, x);
      assertEquals(0, fd, 1e-9 * FrechetDistance.trace(g.cov()), "d=" + d);
    }
  }

  @Test
  void shiftedSetsAreAtTheShiftsSquaredLength() {
    Random r = new Random(2);
    int d = 13;
    double[][] x = rows(r, 200, d);
    double[] shift = new double[d];
    double want = 0;
    for (int j = 0; j < d; j++) {
      shift[j] = r.nextGaussian();
      want += shift[j] * shift[j];
    }
    double[][] y = new double[x.length][d];
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < d; j++) {
        y[i][j] = x[i][j] + shift[j];
      }
    }
    double scale = FrechetDistance.trace(Gaussian.fit(x).cov());
    assertEquals(want, FrechetDistance.between(x, y), 1e-9 * (want + scale));
  }

  @Test
  void diagonalCovariances() {
    Random r = new Random(3);
    int d = 9;
    double[] m1 = new double[d];
    double[] m2 = new double[d];
    double[][] c1 = new double[d][d];
    double[][] c2 = new double[d][d];
    double want = 0;
    for (int i = 0; i < d; i++) {
      m1[i] = r.nextGaussian();
      m2[i] = r.nextGaussian();
      c1[i][i] = 0.1 + r.nextDouble() * 3;
      c2[i][i] = 0.1 + r.nextDouble() * 3;
      double s = Math.sqrt(c1[i][i]) - Math.sqrt(c2[i][i]);
      want += (m1[i] - m2[i]) * (m1[i] - m2[i]) + s * s;
    }
    double got = FrechetDistance.between(new Gaussian(m1, c1, 10), new Gaussian(m2, c2, 10));
    assertEquals(want, got, 1e-12 * want);
  }

  /** Covariances with common eigenvectors Q: tr sqrt(S1 S2) = sum sqrt(a_i b_i) even though neither is diagonal. */
  @Test
  void commutingCovariances() {
    Random r = new Random(4);
    int d = 11;
    double[][] q = SymmetricEigen.of(SymmetricEigenTest.randomSymmetric(r, d)).vectors();
    double[] a = new double[d];
    double[] b = new double[d];
    double want = 0;
    for (int i = 0; i < d; i++) {
      a[i] = 0.05 + 2 * r.nextDouble();
      b[i] = 0.05 + 2 * r.nextDouble();
      double s = Math.sqrt(a[i]) - Math.sqrt(b[i]);
      want += s * s;
    }
    double got = FrechetDistance.between(new Gaussian(new double[d], rotate(q, a), 10), new Gaussian(new double[d], rotate(q, b), 10));
    assertEquals(want, got, 1e-10 * want);
  }

  /** tr sqrt(S1 S2) = tr sqrt(S2 S1): the distance is symmetric for general covariances. */
  @Test
  void symmetricForGeneralCovariances() {
    Random r = new Random(5);
    double[][] x = rows(r, 90, 20);
    double[][] y = rows(r, 70, 20);
    double xy = FrechetDistance.between(x, y);
    assertEquals(xy, FrechetDistance.between(y, x), 1e-9 * xy);
    assertTrue(xy > 0);
  }

  @Test
  void fitUsesTheUnbiasedCovariance() {
    Gaussian g = Gaussian.fit(new double[][] {{1, 0}, {3, 4}});
    assertEquals(2, g.mean()[0]);
    assertEquals(2, g.mean()[1]);
    assertEquals(2, g.cov()[0][0]); // ((1-2)^2 + (3-2)^2) / (2 - 1)
    assertEquals(4, g.cov()[0][1]);
    assertEquals(8, g.cov()[1][1]);
    assertThrows(IllegalArgumentException.class, () -> Gaussian.fit(new double[][] {{1, 2}}));
  }

  static double[][] rotate(double[][] q, double[] diag) {
    int d = diag.length;
    double[][] s = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        for (int k = 0; k < d; k++) {
          s[i][j] += q[i][k] * diag[k] * q[j][k];
        }
      }
    }
    return s;
  }
}
