package org.guidance4j.diffusion.schedule;

/**
 * One ancestral DDPM step (guided-diffusion's {@code p_sample}) as fused-step coefficients:
 * x0 from the model output, clipped when {@code clip_denoised}, then
 * x_{t−1} = coef1_t·x0 + coef2_t·x_t + exp(0.5·log var_t)·z, with no noise at t = 0.
 */
public final class DdpmStep {
  private DdpmStep() {}

  /**
   * Coefficients for step t. For {@link VarianceType#LEARNED_RANGE} qn is 1 (0 at t = 0) and the
   * per-element std comes from {@link LearnedRange#std(double)}; otherwise std is 1 and qn is the
   * step's noise scale.
   */
  public static StepCoefficients of(
      DiscreteDiffusion d, int t, Prediction prediction, VarianceType variance) {
    checkStep(d, t);
    double qn;
    if (t == 0) {
      qn = 0.0;
    } else if (variance == VarianceType.LEARNED_RANGE) {
      qn = 1.0;
    } else {
      qn = Math.exp(0.5 * variance.logVariance(d, t));
    }
    return new StepCoefficients(
        prediction.px(d, t),
        prediction.pg(d, t),
        d.posteriorMeanCoef2(t),
        d.posteriorMeanCoef1(t),
        qn);
  }

  static void checkStep(DiscreteDiffusion d, int t) {
    if (t < 0 || t >= d.steps()) {
      throw new IllegalArgumentException("timestep " + t + " is outside [0, " + d.steps() + ")");
    }
  }
}
