package org.guidance4j.diffusion.schedule;

/**
 * The variance of a DDPM reverse step (guided-diffusion's {@code ModelVarType}), chosen by the
 * flags {@code learn_sigma} and {@code sigma_small} (see {@link #fromFlags}).
 */
public enum VarianceType {
  /** The posterior variance btilde_t (log clipped at t = 0): {@code sigma_small}. */
  FIXED_SMALL,

  /**
   * beta_t, except btilde_1 at t = 0 (which the original chose for a better decoder
   * likelihood): the default when the variance is not learned.
   */
  FIXED_LARGE,

  /**
   * Learned per element: the network's second half of channels v in [−1, 1] interpolates the log
   * variance between log btilde_t (clipped) and log beta_t; see {@link LearnedRange}.
   */
  LEARNED_RANGE;

  /** guided-diffusion's choice in {@code create_gaussian_diffusion}. */
  public static VarianceType fromFlags(boolean learnSigma, boolean sigmaSmall) {
    if (learnSigma) {
      return LEARNED_RANGE;
    }
    return sigmaSmall ? FIXED_SMALL : FIXED_LARGE;
  }

  /**
   * The step's variance (what classifier guidance's {@code condition_mean} multiplies the gradient
   * by). Note that for FIXED_SMALL this is btilde_0 = 0 at t = 0, not exp of the clipped log.
   *
   * @throws IllegalStateException for LEARNED_RANGE, whose variance is per element
   */
  public double variance(DiscreteDiffusion d, int t) {
    return switch (this) {
      case FIXED_SMALL -> d.posteriorVariance(t);
      case FIXED_LARGE -> t == 0 ? d.posteriorVariance(1) : d.beta(t);
      case LEARNED_RANGE -> throw perElement();
    };
  }

  /**
   * The step's log variance, whose exp(0.5·) scales the noise.
   *
   * @throws IllegalStateException for LEARNED_RANGE, whose variance is per element
   */
  public double logVariance(DiscreteDiffusion d, int t) {
    return switch (this) {
      case FIXED_SMALL -> d.posteriorLogVarianceClipped(t);
      case FIXED_LARGE -> Math.log(variance(d, t));
      case LEARNED_RANGE -> throw perElement();
    };
  }

  private static IllegalStateException perElement() {
    return new IllegalStateException(
        "LEARNED_RANGE variance is per element: use LearnedRange.of(diffusion, t)");
  }
}
