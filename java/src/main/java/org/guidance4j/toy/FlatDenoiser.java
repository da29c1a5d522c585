package org.guidance4j.toy;

/**
 * D(x; sigma) = x: the denoiser of a flat (improper, everywhere equal) density, whose score is
 * zero. As the guide of {@code Autoguidance(main, new FlatDenoiser(), w)} it gives
 * D_w = x + w·(D1 − x), i.e. the main model's score times w at every noise level: sampling from
 * p^w, the naive "lower temperature" (1/w) truncation the autoguidance paper contrasts with guidance.
 */
public final class FlatDenoiser extends PointModel {
  @Override
  double[] denoise(double x, double y, double sigma) {
    return new double[] {x, y};
  }
}
