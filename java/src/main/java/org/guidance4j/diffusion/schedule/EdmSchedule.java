package org.guidance4j.diffusion.schedule;

/**
 * The noise levels of the EDM sampler (Karras et al. 2022, as in EDM2's {@code edm_sampler}):
 * sigma_i = (sigma_max^(1/rho) + i/(N−1)·(sigma_min^(1/rho) − sigma_max^(1/rho)))^rho for
 * i = 0..N−1, then sigma_N = 0. rho = 7 spends more steps near sigma_min, where detail is made.
 *
 * <p>Computed in float64; EDM2 evaluates the same formula in float32, so its values differ from
 * these by float32 rounding (about 1e-7 relative). With N = 1 the formula divides 0 by 0; here
 * the single step starts at sigma_max.
 *
 * @param sigmaMin the last nonzero noise level (EDM2: 0.002)
 * @param sigmaMax the first noise level (EDM2: 80)
 * @param rho the warp exponent (EDM2: 7)
 * @param steps N, the number of denoiser steps (EDM2: 32)
 */
public record EdmSchedule(double sigmaMin, double sigmaMax, double rho, int steps) implements SigmaSchedule {
  public static final double EDM2_SIGMA_MIN = 0.002;
  public static final double EDM2_SIGMA_MAX = 80.0;
  public static final double EDM2_RHO = 7.0;
  public static final int EDM2_STEPS = 32;

  public EdmSchedule {
    if (steps < 1) {
      throw new IllegalArgumentException("EDM steps must be >= 1, got " + steps);
    }
    if (!(sigmaMin > 0) || !(sigmaMax >= sigmaMin) || Double.isInfinite(sigmaMax)) {
      throw new IllegalArgumentException(
          "EDM needs 0 < sigma_min <= sigma_max < inf, got sigma_min = "
              + sigmaMin
              + ", sigma_max = "
              + sigmaMax);
    }
    if (!(rho > 0) || Double.isInfinite(rho)) {
      throw new IllegalArgumentException("EDM rho must be finite and > 0, got " + rho);
    }
  }

  /** EDM2's defaults (sigma_min 0.002, sigma_max 80, rho 7) with {@code steps} steps. */
  public static EdmSchedule edm2(int steps) {
    return new EdmSchedule(EDM2_SIGMA_MIN, EDM2_SIGMA_MAX, EDM2_RHO, steps);
  }

  @Override
  public String describe() {
    return "sigma " + sigmaMin + ".." + sigmaMax + ", rho=" + rho;
  }

  /** sigma_0 .. sigma_N: N + 1 values, decreasing, the last one 0. */
  @Override
  public double[] sigmas() {
    double[] out = new double[steps + 1];
    if (steps == 1) {
      out[0] = sigmaMax;
      return out;
    }
    double top = Math.pow(sigmaMax, 1 / rho);
    double bottom = Math.pow(sigmaMin, 1 / rho);
    for (int i = 0; i < steps; i++) {
      out[i] = Math.pow(top + (double) i / (steps - 1) * (bottom - top), rho);
    }
    return out;
  }
}
