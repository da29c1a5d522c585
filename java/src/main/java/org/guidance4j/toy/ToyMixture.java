package org.guidance4j.toy;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The toy's ground truth for one class or both, in float64 and closed form: the mixture
 * p(x) = sum_k w_k N(x; mu_k, S_k), and for every noise level sigma the mixture blurred by
 * N(0, sigma² I), which is again a mixture with covariances S_k + sigma² I. So its exact
 * log-density, score and denoiser D(x; sigma) = x + sigma²·grad log p(x; sigma) (Tweedie) are sums
 * over the components, taken here with log-sum-exp so far-away points do not underflow.
 */
public final class ToyMixture {
  private final int classes; // bit 0: A, bit 1: B
  private final double[] logWeight;
  private final double[] cumWeight;
  private final double[] mx;
  private final double[] my;
  private final double[] ca;
  private final double[] cb;
  private final double[] cd;
  private final int[] branch;
  private final int[] depth;
  private final int branches;

  private ToyMixture(int classes) {
    List<FractalTree.Component> sel =
        FractalTree.components().stream().filter(c -> (classes & (1 << c.cls())) != 0).toList();
    int n = sel.size();
    logWeight = new double[n];
    cumWeight = new double[n];
    mx = new double[n];
    my = new double[n];
    ca = new double[n];
    cb = new double[n];
    cd = new double[n];
    branch = new int[n];
    depth = new int[n];
    double total = sel.stream().mapToDouble(FractalTree.Component::weight).sum();
    double cum = 0;
    int firstClass = Integer.numberOfTrailingZeros(classes);
    for (int k = 0; k < n; k++) {
      FractalTree.Component c = sel.get(k);
      logWeight[k] = Math.log(c.weight() / total);
      cum += c.weight() / total;
      cumWeight[k] = cum;
      mx[k] = c.mx();
      my[k] = c.my();
      ca[k] = c.a();
      cb[k] = c.b();
      cd[k] = c.d();
      // branches numbered across the selected classes: class B's after class A's
      branch[k] = (c.cls() - firstClass) * FractalTree.BRANCHES + c.branch();
      depth[k] = c.depth();
    }
    cumWeight[n - 1] = 1.0;
    this.classes = classes;
    this.branches = Integer.bitCount(classes) * FractalTree.BRANCHES;
  }

  /** Class A: the distribution the toy's conditional models learn and are judged against. */
  public static ToyMixture classA() {
    return new ToyMixture(1);
  }

  public static ToyMixture classB() {
    return new ToyMixture(2);
  }

  /** Both classes, each with its own weight (so A and B are about equally likely): the unconditional distribution. */
  public static ToyMixture both() {
    return new ToyMixture(3);
  }

  /** "A", "B" or "AB". */
  public static ToyMixture of(String classes) {
    return switch (classes) {
      case "A" -> classA();
      case "B" -> classB();
      case "AB" -> both();
      default -> throw new IllegalArgumentException("classes must be A, B or AB, got '" + classes + "'");
    };
  }

  public String classes() {
    return switch (classes) {
      case 1 -> "A";
      case 2 -> "B";
      default -> "AB";
    };
  }

  public int components() {
    return logWeight.length;
  }

  /** Normalised weight of component k. */
  public double weight(int k) {
    return Math.exp(logWeight[k]);
  }

  public double[] mean(int k) {
    return new double[] {mx[k], my[k]};
  }

  /** Covariance of component k as {a, b, d} for [[a, b], [b, d]]. */
  public double[] covariance(int k) {
    return new double[] {ca[k], cb[k], cd[k]};
  }

  /** The branch of component k (0 .. branches() − 1). */
  public int branchOf(int k) {
    return branch[k];
  }

  public int depthOf(int k) {
    return depth[k];
  }

  public int branches() {
    return branches;
  }

  /** log of w_k N(x; mu_k, S_k + sigma² I) for every k, into {@code out}; also fills {@code z} with (S_k')^−1 (mu_k − x) when not null. */
  private void terms(double x, double y, double sigma, double[] out, double[] z) {
    double s2 = sigma * sigma;
    double log2pi = Math.log(2 * Math.PI);
    for (int k = 0; k < out.length; k++) {
      double a = ca[k] + s2;
      double b = cb[k];
      double d = cd[k] + s2;
      double det = a * d - b * b;
      double ux = mx[k] - x;
      double uy = my[k] - y;
      double zx = (d * ux - b * uy) / det;
      double zy = (a * uy - b * ux) / det;
      out[k] = logWeight[k] - log2pi - 0.5 * Math.log(det) - 0.5 * (ux * zx + uy * zy);
      if (z != null) {
        z[2 * k] = zx;
        z[2 * k + 1] = zy;
      }
    }
  }

  private static double logSumExp(double[] v) {
    double max = Double.NEGATIVE_INFINITY;
    for (double e : v) {
      max = Math.max(max, e);
    }
    double sum = 0;
    for (double e : v) {
      sum += Math.exp(e - max);
    }
    return max + Math.log(sum);
  }

  /** log p(x; sigma) at the point (x, y); sigma = 0 is the clean distribution. */
  public double logDensity(double x, double y, double sigma) {
    double[] t = new double[components()];
    terms(x, y, sigma, t, null);
    return logSumExp(t);
  }

  /** grad log p(x; sigma) = sum_k r_k (S_k + sigma² I)^−1 (mu_k − x), r_k the responsibilities. */
  public double[] score(double x, double y, double sigma) {
    int n = components();
    double[] t = new double[n];
    double[] z = new double[2 * n];
    terms(x, y, sigma, t, z);
    double lse = logSumExp(t);
    double gx = 0;
    double gy = 0;
    for (int k = 0; k < n; k++) {
      double r = Math.exp(t[k] - lse);
      gx += r * z[2 * k];
      gy += r * z[2 * k + 1];
    }
    return new double[] {gx, gy};
  }

  /** The exact denoiser E[y | y + sigma n = x] = x + sigma²·score(x; sigma). */
  public double[] denoise(double x, double y, double sigma) {
    double[] g = score(x, y, sigma);
    return new double[] {x + sigma * sigma * g[0], y + sigma * sigma * g[1]};
  }

  /** Where a point lies under the clean distribution: its log-density and most responsible component. */
  public record Location(double logDensity, int component) {}

  public Location locate(double x, double y) {
    double[] t = new double[components()];
    terms(x, y, 0, t, null);
    int best = 0;
    for (int k = 1; k < t.length; k++) {
      if (t[k] > t[best]) {
        best = k;
      }
    }
    return new Location(logSumExp(t), best);
  }

  /** Total normalised weight of each branch. */
  public double[] branchMasses() {
    double[] m = new double[branches];
    for (int k = 0; k < components(); k++) {
      m[branch[k]] += weight(k);
    }
    return m;
  }

  /** The depth (0 = trunk .. 6 = tip) of each branch. */
  public int[] branchDepths() {
    int[] d = new int[branches];
    for (int k = 0; k < components(); k++) {
      d[branch[k]] = depth[k];
    }
    return d;
  }

  /**
   * n points of p(x; sigma), as {x0, y0, x1, y1, ...}: a component by weight, its Gaussian through
   * the Cholesky factor of S_k, plus sigma times a standard normal. Seeded (SplittableRandom), so
   * the same seed gives the same points.
   */
  public double[] sample(int n, double sigma, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    double[] out = new double[2 * n];
    for (int i = 0; i < n; i++) {
      int k = pick(rnd.nextDouble());
      double l11 = Math.sqrt(ca[k]);
      double l21 = cb[k] / l11;
      double l22 = Math.sqrt(cd[k] - l21 * l21);
      double e1 = rnd.nextGaussian();
      double e2 = rnd.nextGaussian();
      out[2 * i] = mx[k] + l11 * e1 + sigma * rnd.nextGaussian();
      out[2 * i + 1] = my[k] + l21 * e1 + l22 * e2 + sigma * rnd.nextGaussian();
    }
    return out;
  }

  private int pick(double u) {
    int lo = 0;
    int hi = cumWeight.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cumWeight[mid] > u) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }
}
