package org.guidance4j.eval;

/**
 * The Fréchet distance between two Gaussians (the distance behind FID):
 * |mu1 - mu2|^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2).
 *
 * <p>S1 S2 is not symmetric, but it is similar to S1^(1/2) S2 S1^(1/2), which is symmetric positive
 * semi-definite, so tr sqrt(S1 S2) = sum_k sqrt(lambda_k(S1^(1/2) S2 S1^(1/2))): two symmetric
 * eigen-decompositions in double, no complex square root (pytorch-fid's sqrtm path).
 */
public final class FrechetDistance {
  private FrechetDistance() {}

  /** The distance between the Gaussians fitted to two sets of feature rows. */
  public static double between(double[][] a, double[][] b) {
    return between(Gaussian.fit(a), Gaussian.fit(b));
  }

  public static double between(Gaussian g1, Gaussian g2) {
    int d = g1.dim();
    if (g2.dim() != d) {
      throw new IllegalArgumentException("feature sizes differ: " + d + " and " + g2.dim());
    }
    double meanTerm = 0;
    for (int i = 0; i < d; i++) {
      double diff = g1.mean()[i] - g2.mean()[i];
      meanTerm += diff * diff;
    }
    double[][] r = SymmetricEigen.of(g1.cov()).sqrtPsd();
    double[][] m = multiply(multiply(r, g2.cov()), r);
    double traceSqrt = 0;
    for (double lambda : SymmetricEigen.of(m).values()) {
      traceSqrt += Math.sqrt(Math.max(lambda, 0));
    }
    // rounding can leave a distance of identical Gaussians a hair below zero
    return Math.max(0, meanTerm + trace(g1.cov()) + trace(g2.cov()) - 2 * traceSqrt);
  }

  static double trace(double[][] a) {
    double t = 0;
    for (int i = 0; i < a.length; i++) {
      t += a[i][i];
    }
    return t;
  }

  static double[][] multiply(double[][] a, double[][] b) {
    int n = a.length;
    int k = b.length;
    int m = b[0].length;
    double[][] out = new double[n][m];
    for (int i = 0; i < n; i++) {
      for (int p = 0; p < k; p++) {
        double aip = a[i][p];
        for (int j = 0; j < m; j++) {
          out[i][j] += aip * b[p][j];
        }
      }
    }
    return out;
  }
}
