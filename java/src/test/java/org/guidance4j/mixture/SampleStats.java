package org.guidance4j.mixture;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Estimates from N samples with their standard errors, and the check "estimate within z standard
 * errors of the exact value", z from a Bonferroni bound so that a correct sampler fails a whole
 * family of checks with probability at most alpha (for exactly distributed samples; see the tests
 * for the discretisation bias each sampler adds).
 */
final class SampleStats {
  private SampleStats() {}

  /** Mean and its standard error sd / sqrt(N) of the values v_i. */
  record Estimate(double value, double se) {}

  static Estimate mean(double[] v) {
    int n = v.length;
    double m = 0;
    for (double x : v) {
      m += x;
    }
    m /= n;
    double ss = 0;
    for (double x : v) {
      ss += (x - m) * (x - m);
    }
    return new Estimate(m, Math.sqrt(ss / (n - 1) / n));
  }

  static double[][] rows(float[] flat, int dim) {
    int n = flat.length / dim;
    double[][] r = new double[n][dim];
    for (int i = 0; i < n; i++) {
      for (int d = 0; d < dim; d++) {
        r[i][d] = flat[i * dim + d];
      }
    }
    return r;
  }

  static double[] column(double[][] x, int d) {
    double[] c = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      c[i] = x[i][d];
    }
    return c;
  }

  /**
   * Covariance entry (i, j) as the mean of (x_i - m_i)(x_j - m_j), with the standard error of that
   * mean (the plug-in delta-method SE; the O(1/N) effect of estimating m is negligible here).
   */
  static Estimate covariance(double[][] x, int i, int j) {
    double mi = mean(column(x, i)).value();
    double mj = mean(column(x, j)).value();
    double[] p = new double[x.length];
    for (int s = 0; s < x.length; s++) {
      p[s] = (x[s][i] - mi) * (x[s][j] - mj);
    }
    return mean(p);
  }

  /** z with P(|N(0,1)| > z) = alpha / checks: a two-sided Bonferroni bound. */
  static double bonferroniZ(double alpha, int checks) {
    double tail = alpha / checks / 2;
    double lo = 0;
    double hi = 20;
    for (int it = 0; it < 60; it++) {
      double mid = 0.5 * (lo + hi);
      if (upperTail(mid) > tail) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return 0.5 * (lo + hi);
  }

  /** P(N(0,1) > z) for z >= 0, by Simpson's rule over [z, z + 16] (far more accurate than needed). */
  static double upperTail(double z) {
    int n = 20_000;
    double h = 16.0 / n;
    double sum = density(z) + density(z + 16);
    for (int i = 1; i < n; i++) {
      sum += (i % 2 == 1 ? 4 : 2) * density(z + i * h);
    }
    return sum * h / 3;
  }

  private static double density(double u) {
    return Math.exp(-0.5 * u * u) / Math.sqrt(2 * Math.PI);
  }

  static void assertWithin(String what, Estimate e, double exact, double z) {
    double dev = Math.abs(e.value() - exact);
    assertTrue(
        dev <= z * e.se(),
        String.format("%s: estimate %.5f, exact %.5f: |difference| %.2e is %.2f standard errors (%.2e), more than z = %.2f",
            what, e.value(), exact, dev, dev / e.se(), e.se(), z));
  }
}
