package org.guidance4j.diffusion.schedule;

/**
 * One DDIM step with stochasticity eta (guided-diffusion's {@code ddim_sample}) as fused-step
 * coefficients. The original re-derives eps from the (clipped) x0,
 * eps = (sqrt(1/abar_t)·x − x0)/sqrt(1/abar_t − 1), and steps to
 * x_{t−1} = sqrt(abar_{t−1})·x0 + sqrt(1 − abar_{t−1} − sigma²)·eps + sigma·z with
 * sigma = eta·sqrt((1 − abar_{t−1})/(1 − abar_t))·sqrt(1 − abar_t/abar_{t−1}); substituting eps
 * makes it affine in (x, x0): qx = c·sqrt(1/abar_t)/sqrt(1/abar_t − 1),
 * q0 = sqrt(abar_{t−1}) − c/sqrt(1/abar_t − 1), qn = sigma, c = sqrt(1 − abar_{t−1} − sigma²).
 * eta = 0 is deterministic DDIM, eta = 1 has DDPM's fixed-small variance.
 */
public final class DdimStep {
  private DdimStep() {}

  /** Coefficients for step t; std is 1 and there is no noise at t = 0. */
  public static StepCoefficients of(DiscreteDiffusion d, int t, Prediction prediction, double eta) {
    DdpmStep.checkStep(d, t);
    double sigma = sigma(d, t, eta);
    double abarPrev = d.alphaCumprodPrev(t);
    double radicand = 1 - abarPrev - sigma * sigma;
    if (radicand < 0) {
      // Positive in exact arithmetic for eta <= 1 (0 at t = 0): negative there only by rounding.
      if (eta > 1) {
        throw new IllegalArgumentException(
            "DDIM eta = " + eta + " makes the variance exceed 1 - abar_prev at timestep " + t);
      }
      radicand = 0;
    }
    double c = Math.sqrt(radicand);
    double srm1 = d.sqrtRecipm1AlphaCumprod(t);
    return new StepCoefficients(
        prediction.px(d, t),
        prediction.pg(d, t),
        c * d.sqrtRecipAlphaCumprod(t) / srm1,
        Math.sqrt(abarPrev) - c / srm1,
        t == 0 ? 0.0 : sigma);
  }

  /** The DDIM noise scale sigma_t(eta). */
  public static double sigma(DiscreteDiffusion d, int t, double eta) {
    DdpmStep.checkStep(d, t);
    if (!(eta >= 0) || Double.isInfinite(eta)) {
      throw new IllegalArgumentException("DDIM eta must be finite and >= 0, got " + eta);
    }
    double abar = d.alphaCumprod(t);
    double abarPrev = d.alphaCumprodPrev(t);
    return eta * Math.sqrt((1 - abarPrev) / (1 - abar)) * Math.sqrt(1 - abar / abarPrev);
  }
}
