package org.guidance4j.diffusion.schedule;

/**
 * One Euler step of the EDM probability-flow ODE from sigma_hat to sigma_next as fused-step
 * coefficients, for a denoiser output D (so x0 = D: px = 0, pg = 1):
 * x_next = x + h·(x − D)/sigma_hat = (1 + h/sigma_hat)·x − (h/sigma_hat)·D,
 * h = sigma_next − sigma_hat.
 * No noise term (churn noise is added before the step, see {@link EdmChurn}). Heun's correction
 * also needs the pre-step x, so it is not a single fused step.
 */
public final class EdmEulerStep {
  private EdmEulerStep() {}

  public static StepCoefficients of(double sigmaHat, double sigmaNext) {
    if (!(sigmaHat > 0) || !(sigmaNext >= 0)) {
      throw new IllegalArgumentException(
          "EDM step needs sigma_hat > 0 and sigma_next >= 0, got " + sigmaHat + " -> " + sigmaNext);
    }
    double ratio = (sigmaNext - sigmaHat) / sigmaHat;
    return new StepCoefficients(0.0, 1.0, 1 + ratio, -ratio, 0.0);
  }
}
