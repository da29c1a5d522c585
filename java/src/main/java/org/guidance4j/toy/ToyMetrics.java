package org.guidance4j.toy;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * How a set of 2-D samples compares with the true class distribution, judged with its exact density.
 *
 * <ul>
 *   <li>{@code meanLogDensity}: fidelity, the mean of log p(x) over the samples (higher: closer to
 *       the branches' cores).
 *   <li>{@code outlierShare}: the share of samples with log p(x) below the threshold (the 1% quantile
 *       of log p over ground-truth samples, see {@link #threshold}): the low-density regions between
 *       and beyond the branches. A perfect sampler has about 0.01.
 *   <li>Diversity, over the non-outlier samples, each assigned to the branch of its most responsible
 *       component: {@code branchCoverage} is the share of the tree's branches whose count reaches
 *       0.25 x its expected count (non-outliers x branch mass); {@code tipCoverage} the same over the
 *       64 outermost branches (depth 6, the rarest, each about 0.1% of the mass), where narrowing
 *       shows first; {@code overlap} is sum_b min(observed share_b, mass_b) = 1 − the total variation
 *       distance between the samples' branch histogram and the true branch masses (1: the right
 *       amount in every branch).
 * </ul>
 */
public record ToyMetrics(
    int samples, double meanLogDensity, double outlierShare, double branchCoverage, double tipCoverage, double overlap) {

  /** The share of ground-truth samples counted as outliers by construction. */
  public static final double OUTLIER_QUANTILE = 0.01;
  /** A branch counts as covered from this fraction of its expected count. */
  public static final double COVERED_FRACTION = 0.25;

  /** The {@link #OUTLIER_QUANTILE} quantile of log p over the points {x0, y0, x1, y1, ...}. */
  public static double threshold(ToyMixture truth, double[] groundTruth) {
    double[] lp = logDensities(truth, groundTruth);
    Arrays.sort(lp);
    return lp[(int) Math.floor(OUTLIER_QUANTILE * (lp.length - 1))];
  }

  static double[] logDensities(ToyMixture truth, double[] points) {
    return IntStream.range(0, points.length / 2).parallel()
        .mapToDouble(i -> truth.logDensity(points[2 * i], points[2 * i + 1], 0))
        .toArray();
  }

  /** The metrics of the points {x0, y0, x1, y1, ...} under {@code truth}, outliers below {@code threshold}. */
  public static ToyMetrics of(ToyMixture truth, double[] points, double threshold) {
    int n = points.length / 2;
    ToyMixture.Location[] at =
        IntStream.range(0, n).parallel()
            .mapToObj(i -> truth.locate(points[2 * i], points[2 * i + 1]))
            .toArray(ToyMixture.Location[]::new);
    double sumLog = 0;
    int outliers = 0;
    int[] count = new int[truth.branches()];
    for (ToyMixture.Location l : at) {
      sumLog += l.logDensity();
      if (l.logDensity() < threshold) {
        outliers++;
      } else {
        count[truth.branchOf(l.component())]++;
      }
    }
    int inliers = n - outliers;
    double[] mass = truth.branchMasses();
    int[] depth = truth.branchDepths();
    int covered = 0;
    int tips = 0;
    int tipsCovered = 0;
    double overlap = 0;
    for (int b = 0; b < mass.length; b++) {
      boolean ok = inliers > 0 && count[b] >= COVERED_FRACTION * inliers * mass[b];
      covered += ok ? 1 : 0;
      if (depth[b] == FractalTree.DEPTH - 1) {
        tips++;
        tipsCovered += ok ? 1 : 0;
      }
      overlap += inliers > 0 ? Math.min((double) count[b] / inliers, mass[b]) : 0;
    }
    return new ToyMetrics(
        n, sumLog / n, (double) outliers / n, (double) covered / mass.length, (double) tipsCovered / tips, overlap);
  }
}
