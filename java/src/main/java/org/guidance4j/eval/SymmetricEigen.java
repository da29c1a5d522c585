package org.guidance4j.eval;

/**
 * Eigen-decomposition of a real symmetric matrix by cyclic Jacobi rotations, in double. Slow for
 * big matrices (O(d^3) per sweep) but simple and accurate to a few ulps of the largest eigenvalue;
 * the feature covariances it serves here are at most a few hundred wide.
 *
 * @param values eigenvalues, in no particular order
 * @param vectors column k ({@code vectors[i][k]}) is the unit eigenvector of {@code values[k]}
 */
public record SymmetricEigen(double[] values, double[][] vectors) {
  private static final int MAX_SWEEPS = 100;

  /** Decomposes {@code a} (d x d, symmetric; only its upper triangle is read). */
  public static SymmetricEigen of(double[][] a) {
    int d = a.length;
    double[][] m = new double[d][d];
    double[][] v = new double[d][d];
    for (int i = 0; i < d; i++) {
      if (a[i].length != d) {
        throw new IllegalArgumentException("not square: row " + i + " has " + a[i].length + " entries, expected " + d);
      }
      for (int j = i; j < d; j++) {
        m[i][j] = a[i][j];
        m[j][i] = a[i][j];
      }
      v[i][i] = 1;
    }
    for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      double off = 0;
      double diag = 0;
      for (int i = 0; i < d; i++) {
        diag += m[i][i] * m[i][i];
        for (int j = i + 1; j < d; j++) {
          off += m[i][j] * m[i][j];
        }
      }
      // converged when the off-diagonal mass is at rounding level of the diagonal's
      if (off <= 1e-28 * diag || off == 0) {
        break;
      }
      for (int p = 0; p < d; p++) {
        for (int q = p + 1; q < d; q++) {
          if (m[p][q] != 0) {
            rotate(m, v, p, q);
          }
        }
      }
    }
    double[] values = new double[d];
    for (int i = 0; i < d; i++) {
      values[i] = m[i][i];
    }
    return new SymmetricEigen(values, v);
  }

  /** One rotation in the (p, q) plane that zeroes m[p][q] (the stable formulas of Golub & Van Loan 8.4). */
  private static void rotate(double[][] m, double[][] v, int p, int q) {
    double theta = (m[q][q] - m[p][p]) / (2 * m[p][q]);
    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
    if (theta == 0) {
      t = 1;
    }
    double c = 1 / Math.sqrt(t * t + 1);
    double s = t * c;
    int d = m.length;
    for (int k = 0; k < d; k++) {
      double mkp = m[k][p];
      double mkq = m[k][q];
      m[k][p] = c * mkp - s * mkq;
      m[k][q] = s * mkp + c * mkq;
    }
    for (int k = 0; k < d; k++) {
      double mpk = m[p][k];
      double mqk = m[q][k];
      m[p][k] = c * mpk - s * mqk;
      m[q][k] = s * mpk + c * mqk;
    }
    for (int k = 0; k < d; k++) {
      double vkp = v[k][p];
      double vkq = v[k][q];
      v[k][p] = c * vkp - s * vkq;
      v[k][q] = s * vkp + c * vkq;
    }
  }

  /**
   * V f(Lambda) V^T with f(lambda) = sqrt(max(lambda, 0)): the square root of a positive
   * semi-definite matrix, rounding's tiny negative eigenvalues taken as 0.
   */
  public double[][] sqrtPsd() {
    int d = values.length;
    double[] f = new double[d];
    for (int k = 0; k < d; k++) {
      f[k] = Math.sqrt(Math.max(values[k], 0));
    }
    double[][] out = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = i; j < d; j++) {
        double s = 0;
        for (int k = 0; k < d; k++) {
          s += vectors[i][k] * f[k] * vectors[j][k];
        }
        out[i][j] = s;
        out[j][i] = s;
      }
    }
    return out;
  }
}
