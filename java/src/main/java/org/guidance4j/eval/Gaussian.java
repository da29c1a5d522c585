package org.guidance4j.eval;

/**
 * A mean and covariance, fitted to feature vectors (one row per image) in double.
 *
 * @param cov the unbiased sample covariance (divided by n - 1, as NumPy's cov and pytorch-fid)
 */
public record Gaussian(double[] mean, double[][] cov, int count) {
  public static Gaussian fit(double[][] rows) {
    int n = rows.length;
    if (n < 2) {
      throw new IllegalArgumentException("a covariance needs at least 2 samples, got " + n);
    }
    int d = rows[0].length;
    double[] mean = new double[d];
    for (double[] r : rows) {
      if (r.length != d) {
        throw new IllegalArgumentException("rows of different lengths: " + r.length + " and " + d);
      }
      for (int j = 0; j < d; j++) {
        mean[j] += r[j];
      }
    }
    for (int j = 0; j < d; j++) {
      mean[j] /= n;
    }
    double[][] cov = new double[d][d];
    double[] c = new double[d];
    for (double[] r : rows) {
      for (int j = 0; j < d; j++) {
        c[j] = r[j] - mean[j];
      }
      for (int i = 0; i < d; i++) {
        for (int j = i; j < d; j++) {
          cov[i][j] += c[i] * c[j];
        }
      }
    }
    for (int i = 0; i < d; i++) {
      for (int j = i; j < d; j++) {
        cov[i][j] /= n - 1;
        cov[j][i] = cov[i][j];
      }
    }
    return new Gaussian(mean, cov, n);
  }

  public int dim() {
    return mean.length;
  }
}
