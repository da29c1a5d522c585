package org.guidance4j.mixture;

/**
 * The test mixture: 8 dimensions seen as (C, H, W) = (2, 2, 2), four diagonal Gaussians in two
 * classes (components 0, 1: class 0; 2, 3: class 1) along two orthogonal directions u, v. The
 * inner components 1 (class 0) and 2 (class 1) lie 0.28 apart with standard deviations 0.2 to 0.3,
 * so the classes overlap: about 18% of class-0 samples lie nearer to a class-1 mean, which leaves
 * classifier-free guidance room to move mass. Standard deviations are at least 0.2, twenty times
 * the schedule's smallest noise level (sigma_0 = 0.01), so the samplers' last step (the posterior
 * mean at sigma_0) shrinks variances by at most 0.25%.
 */
final class Mixtures {
  static final long[] SHAPE = {2, 2, 2};

  private Mixtures() {}

  static GaussianMixture fourInTwoClasses() {
    double r8 = Math.sqrt(8);
    double[] u = {1 / r8, 1 / r8, 1 / r8, 1 / r8, -1 / r8, -1 / r8, -1 / r8, -1 / r8};
    double[] v = {1 / r8, -1 / r8, 1 / r8, -1 / r8, 1 / r8, -1 / r8, 1 / r8, -1 / r8};
    double[][] along = {{-1.0, 0.3}, {-0.1, -0.1}, {0.1, 0.1}, {1.0, -0.3}};
    double[][] means = new double[4][8];
    for (int k = 0; k < 4; k++) {
      for (int d = 0; d < 8; d++) {
        means[k][d] = along[k][0] * u[d] + along[k][1] * v[d];
      }
    }
    double[][] stds = {
      {0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2},
      {0.3, 0.3, 0.3, 0.3, 0.2, 0.2, 0.2, 0.2},
      {0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25},
      {0.2, 0.3, 0.2, 0.3, 0.2, 0.3, 0.2, 0.3},
    };
    return new GaussianMixture(new double[] {0.2, 0.3, 0.35, 0.15}, means, stds, new int[] {0, 0, 1, 1}, 2);
  }
}
