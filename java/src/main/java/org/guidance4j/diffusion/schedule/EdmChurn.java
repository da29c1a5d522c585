package org.guidance4j.diffusion.schedule;

/**
 * The EDM sampler's stochastic churn (Karras et al. 2022, Algorithm 2): before step i, when
 * S_churn &gt; 0 and S_min &lt;= sigma_i &lt;= S_max, the noise level is raised to
 * sigma_hat = sigma_i + gamma·sigma_i with gamma = min(S_churn/N, sqrt(2) − 1), by adding
 * fresh noise of std sqrt(sigma_hat² − sigma_i²)·S_noise. Outside that range gamma = 0 and the
 * step is deterministic. EDM2 samples with churn off ({@link #EDM2_DEFAULTS}); EDM's ImageNet-64
 * stochastic setting was S_churn 40, S_min 0.05, S_max 50, S_noise 1.003.
 *
 * @param sChurn total churn over the run, spread evenly over the N steps
 * @param sMin lowest sigma that gets churn
 * @param sMax highest sigma that gets churn (may be infinite)
 * @param sNoise the added noise's std inflation, slightly above 1 to offset detail loss
 */
public record EdmChurn(double sChurn, double sMin, double sMax, double sNoise) {
  /** EDM2's {@code edm_sampler} defaults: S_churn 0, S_min 0, S_max inf, S_noise 1. */
  public static final EdmChurn EDM2_DEFAULTS = new EdmChurn(0, 0, Double.POSITIVE_INFINITY, 1);

  /** The cap on gamma: beyond it sigma_hat would more than double the variance. */
  public static final double MAX_GAMMA = Math.sqrt(2) - 1;

  public EdmChurn {
    if (!(sChurn >= 0) || Double.isInfinite(sChurn)) {
      throw new IllegalArgumentException("S_churn must be finite and >= 0, got " + sChurn);
    }
    if (Double.isNaN(sMin) || Double.isNaN(sMax)) {
      throw new IllegalArgumentException(
          "S_min and S_max must be numbers, got " + sMin + ", " + sMax);
    }
    if (!(sNoise >= 0) || Double.isInfinite(sNoise)) {
      throw new IllegalArgumentException("S_noise must be finite and >= 0, got " + sNoise);
    }
  }

  /** gamma_i for noise level sigma in a run of {@code steps} steps. */
  public double gamma(double sigma, int steps) {
    if (steps < 1) {
      throw new IllegalArgumentException("EDM steps must be >= 1, got " + steps);
    }
    if (sChurn > 0 && sMin <= sigma && sigma <= sMax) {
      return Math.min(sChurn / steps, MAX_GAMMA);
    }
    return 0.0;
  }

  /** sigma_hat = sigma + gamma·sigma: the raised noise level the denoiser sees. */
  public double sigmaHat(double sigma, int steps) {
    return sigma + gamma(sigma, steps) * sigma;
  }

  /** The std of the noise that raises sigma to sigmaHat: sqrt(sigmaHat² − sigma²)·S_noise. */
  public double noiseStd(double sigma, double sigmaHat) {
    return Math.sqrt(sigmaHat * sigmaHat - sigma * sigma) * sNoise;
  }
}
