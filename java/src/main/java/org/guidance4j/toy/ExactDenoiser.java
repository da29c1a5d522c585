package org.guidance4j.toy;

/**
 * The ground truth as a "network": the exact denoiser of a {@link ToyMixture}, so the samplers can
 * run the true distribution (the toy's reference row: what a perfect model gives with the same
 * sampler, steps and seeds).
 */
public final class ExactDenoiser extends PointModel {
  private final ToyMixture mixture;

  public ExactDenoiser(ToyMixture mixture) {
    this.mixture = mixture;
  }

  @Override
  double[] denoise(double x, double y, double sigma) {
    return mixture.denoise(x, y, sigma);
  }
}
