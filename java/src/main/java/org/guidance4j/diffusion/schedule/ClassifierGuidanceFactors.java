package org.guidance4j.diffusion.schedule;

/**
 * The per-step scalars of classifier guidance on a discrete diffusion (Dhariwal & Nichol 2021),
 * for G = s·grad_x log p(y | x_t, t), the classifier gradient already multiplied by the
 * classifier scale s (as guided-diffusion's {@code cond_fn} returns it).
 *
 * <ul>
 *   <li>DDPM ({@code condition_mean}): mean' = mean + var_t·G, var_t the step's variance
 *       ({@link #meanFactor}); the noise is added after, unchanged.
 *   <li>DDIM ({@code condition_score}): eps' = eps − sqrt(1 − abar_t)·G ({@link #scoreEpsFactor}),
 *       eps derived from the already clipped x0; x0 and the mean are recomputed from eps' and not
 *       clipped again. In x0 terms: x0' = x0 + sqrt(1/abar_t − 1)·sqrt(1 − abar_t)·G
 *       ({@link #scoreX0Factor}), and the DDIM coefficients then apply to x0' unchanged.
 * </ul>
 *
 * Without clipping, an eps model's output can simply be shifted by −scoreEpsFactor·G before the
 * fused step; with clipping the shift must come after the clamp, on x0.
 */
public final class ClassifierGuidanceFactors {
  private ClassifierGuidanceFactors() {}

  /**
   * var_t for condition_mean with a fixed variance type (0 at t = 0 for FIXED_SMALL). For
   * LEARNED_RANGE the factor is per element: {@link LearnedRange#variance(double)}.
   */
  public static double meanFactor(DiscreteDiffusion d, int t, VarianceType variance) {
    DdpmStep.checkStep(d, t);
    return variance.variance(d, t);
  }

  /** sqrt(1 − abar_t): the weight of G subtracted from eps in condition_score. */
  public static double scoreEpsFactor(DiscreteDiffusion d, int t) {
    DdpmStep.checkStep(d, t);
    return Math.sqrt(1 - d.alphaCumprod(t));
  }

  /** sqrt(1/abar_t − 1)·sqrt(1 − abar_t) = (1 − abar_t)/sqrt(abar_t): the weight of G in x0'. */
  public static double scoreX0Factor(DiscreteDiffusion d, int t) {
    return d.sqrtRecipm1AlphaCumprod(t) * scoreEpsFactor(d, t);
  }
}
