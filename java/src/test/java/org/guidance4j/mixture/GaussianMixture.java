package org.guidance4j.mixture;

/**
 * A Gaussian mixture in R^D with diagonal covariances whose components are grouped into classes,
 * and its exact quantities under variance-preserving noising x_t = a x0 + b n (a = sqrt(abar),
 * b = sqrt(1 - abar)): component k noised is N(a mu_k, a^2 S_k + b^2 I), so the noised density is
 * again a mixture with the same weights and everything stays in closed form. All in double.
 *
 * <p>Component weights of a "view": a class c keeps the weights of its own components (renormalised
 * implicitly, since only ratios matter for scores and responsibilities), the unconditional view
 * keeps them all: p(x) = sum_c p(c) p(x | c).
 */
final class GaussianMixture {
  final int dim;
  final int numClasses;
  private final double[] weights;
  private final double[][] means;
  private final double[][] vars;
  private final int[] classOf;

  GaussianMixture(double[] weights, double[][] means, double[][] stds, int[] classOf, int numClasses) {
    this.dim = means[0].length;
    this.numClasses = numClasses;
    this.weights = weights.clone();
    this.means = means;
    this.vars = new double[stds.length][dim];
    for (int k = 0; k < stds.length; k++) {
      for (int d = 0; d < dim; d++) {
        vars[k][d] = stds[k][d] * stds[k][d];
      }
    }
    this.classOf = classOf.clone();
  }

  private GaussianMixture(GaussianMixture m, double stdFactor) {
    this.dim = m.dim;
    this.numClasses = m.numClasses;
    this.weights = m.weights;
    this.means = m.means;
    this.classOf = m.classOf;
    this.vars = new double[m.vars.length][dim];
    for (int k = 0; k < vars.length; k++) {
      for (int d = 0; d < dim; d++) {
        vars[k][d] = m.vars[k][d] * stdFactor * stdFactor;
      }
    }
  }

  /** Same weights and means, every standard deviation times {@code factor}. */
  GaussianMixture broadened(double factor) {
    return new GaussianMixture(this, factor);
  }

  int components() {
    return weights.length;
  }

  int classOf(int k) {
    return classOf[k];
  }

  double[] componentMean(int k) {
    return means[k].clone();
  }

  /** The weights of the class-{@code label} view, or of the whole mixture when label < 0. */
  double[] viewWeights(int label) {
    double[] w = new double[weights.length];
    for (int k = 0; k < w.length; k++) {
      w[k] = label < 0 || classOf[k] == label ? weights[k] : 0;
    }
    return w;
  }

  /** p(c): the mass of class c. */
  double classMass(int c) {
    double total = 0;
    double mass = 0;
    for (int k = 0; k < weights.length; k++) {
      total += weights[k];
      if (classOf[k] == c) {
        mass += weights[k];
      }
    }
    return mass / total;
  }

  /**
   * Component responsibilities r_k(x) = w_k N_k(x) / sum_j w_j N_j(x) of the noised view (abar = 1:
   * the data itself); 0 for components outside the view. E over p of r_k is exactly w_k / sum w.
   */
  double[] responsibilities(double[] x, double abar, double[] viewWeights) {
    double a = Math.sqrt(abar);
    double b2 = 1 - abar;
    double[] logp = new double[weights.length];
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < weights.length; k++) {
      if (viewWeights[k] == 0) {
        logp[k] = Double.NEGATIVE_INFINITY;
        continue;
      }
      double s = Math.log(viewWeights[k]);
      for (int d = 0; d < dim; d++) {
        double v = a * a * vars[k][d] + b2;
        double r = x[d] - a * means[k][d];
        s -= 0.5 * (r * r / v + Math.log(2 * Math.PI * v));
      }
      logp[k] = s;
      max = Math.max(max, s);
    }
    double sum = 0;
    double[] resp = new double[weights.length];
    for (int k = 0; k < weights.length; k++) {
      resp[k] = logp[k] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(logp[k] - max);
      sum += resp[k];
    }
    for (int k = 0; k < weights.length; k++) {
      resp[k] /= sum;
    }
    return resp;
  }

  /** log of the view's (unnormalised by its total weight) noised density at x. */
  double logDensity(double[] x, double abar, double[] viewWeights) {
    double a = Math.sqrt(abar);
    double b2 = 1 - abar;
    double max = Double.NEGATIVE_INFINITY;
    double[] logp = new double[weights.length];
    for (int k = 0; k < weights.length; k++) {
      double s = viewWeights[k] == 0 ? Double.NEGATIVE_INFINITY : Math.log(viewWeights[k]);
      for (int d = 0; d < dim && viewWeights[k] != 0; d++) {
        double v = a * a * vars[k][d] + b2;
        double r = x[d] - a * means[k][d];
        s -= 0.5 * (r * r / v + Math.log(2 * Math.PI * v));
      }
      logp[k] = s;
      max = Math.max(max, s);
    }
    double sum = 0;
    for (double l : logp) {
      sum += l == Double.NEGATIVE_INFINITY ? 0 : Math.exp(l - max);
    }
    return max + Math.log(sum);
  }

  /** grad_x log p_t(x) of the view: sum_k r_k(x) (a mu_k - x) / (a^2 s_k^2 + b^2). */
  double[] score(double[] x, double abar, double[] viewWeights) {
    double a = Math.sqrt(abar);
    double b2 = 1 - abar;
    double[] r = responsibilities(x, abar, viewWeights);
    double[] g = new double[dim];
    for (int k = 0; k < weights.length; k++) {
      if (r[k] == 0) {
        continue;
      }
      for (int d = 0; d < dim; d++) {
        g[d] += r[k] * (a * means[k][d] - x[d]) / (a * a * vars[k][d] + b2);
      }
    }
    return g;
  }

  /**
   * E[y | x] for x = y + sigma n in EDM scaling, computed directly: responsibilities under
   * N(mu_k, s_k^2 + sigma^2) per dimension, then each component's Gaussian posterior mean
   * mu_k + s_k^2 / (s_k^2 + sigma^2) (x - mu_k). Independent of the VP/eps path the samplers use.
   */
  double[] posteriorMeanEdm(double[] x, double sigma, double[] viewWeights) {
    double s2 = sigma * sigma;
    double[] logr = new double[weights.length];
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < weights.length; k++) {
      if (viewWeights[k] == 0) {
        logr[k] = Double.NEGATIVE_INFINITY;
        continue;
      }
      double l = Math.log(viewWeights[k]);
      for (int d = 0; d < dim; d++) {
        double v = vars[k][d] + s2;
        double e = x[d] - means[k][d];
        l += -0.5 * Math.log(2 * Math.PI * v) - 0.5 * e * e / v;
      }
      logr[k] = l;
      max = Math.max(max, l);
    }
    double total = 0;
    for (int k = 0; k < weights.length; k++) {
      total += logr[k] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(logr[k] - max);
    }
    double[] out = new double[dim];
    for (int k = 0; k < weights.length; k++) {
      if (logr[k] == Double.NEGATIVE_INFINITY) {
        continue;
      }
      double r = Math.exp(logr[k] - max) / total;
      for (int d = 0; d < dim; d++) {
        out[d] += r * (means[k][d] + vars[k][d] / (vars[k][d] + s2) * (x[d] - means[k][d]));
      }
    }
    return out;
  }

  /** The exact eps prediction E[n | x_t] = -b grad log p_t(x_t). */
  double[] eps(double[] x, double abar, double[] viewWeights) {
    double[] g = score(x, abar, viewWeights);
    double b = Math.sqrt(1 - abar);
    for (int d = 0; d < dim; d++) {
      g[d] *= -b;
    }
    return g;
  }

  /** The view's mean. */
  double[] mean(double[] viewWeights) {
    double total = 0;
    double[] m = new double[dim];
    for (int k = 0; k < weights.length; k++) {
      total += viewWeights[k];
      for (int d = 0; d < dim; d++) {
        m[d] += viewWeights[k] * means[k][d];
      }
    }
    for (int d = 0; d < dim; d++) {
      m[d] /= total;
    }
    return m;
  }

  /** The view's covariance: sum_k w_k (S_k + (mu_k - mu)(mu_k - mu)^T) / sum w. */
  double[][] covariance(double[] viewWeights) {
    double[] mu = mean(viewWeights);
    double total = 0;
    double[][] c = new double[dim][dim];
    for (int k = 0; k < weights.length; k++) {
      double w = viewWeights[k];
      total += w;
      for (int i = 0; i < dim; i++) {
        c[i][i] += w * vars[k][i];
        for (int j = 0; j < dim; j++) {
          c[i][j] += w * (means[k][i] - mu[i]) * (means[k][j] - mu[j]);
        }
      }
    }
    for (int i = 0; i < dim; i++) {
      for (int j = 0; j < dim; j++) {
        c[i][j] /= total;
      }
    }
    return c;
  }

  /** The component whose mean is nearest to x (Euclidean). */
  int nearestComponent(double[] x) {
    int best = 0;
    double bestDistance = Double.POSITIVE_INFINITY;
    for (int k = 0; k < weights.length; k++) {
      double s = distanceSquared(x, means[k]);
      if (s < bestDistance) {
        bestDistance = s;
        best = k;
      }
    }
    return best;
  }

  /** Euclidean distance from x to the nearest component mean (mode). */
  double distanceToNearestMean(double[] x) {
    return Math.sqrt(distanceSquared(x, means[nearestComponent(x)]));
  }

  private static double distanceSquared(double[] x, double[] m) {
    double s = 0;
    for (int d = 0; d < x.length; d++) {
      double r = x[d] - m[d];
      s += r * r;
    }
    return s;
  }
}
