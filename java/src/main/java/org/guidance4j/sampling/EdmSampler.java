package org.guidance4j.sampling;

import org.guidance4j.core.GuidedStepCoefficients;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.diffusion.schedule.DiscreteSigmas;
import org.guidance4j.diffusion.schedule.EdmChurn;
import org.guidance4j.diffusion.schedule.EdmSchedule;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.GuidedOutput;

/**
 * EDM2's edm_sampler (Heun, or Euler without the correction) with stochastic churn, running a
 * discrete eps model through its denoiser view: D(x; sigma) = x - sigma eps(x / sqrt(1 + sigma^2), t(sigma)),
 * t(sigma) the training timestep of that noise level, interpolated in log sigma (k-diffusion's
 * sigma_to_t). Guidance combines eps, which at a fixed sigma is the same as combining D.
 */
public final class EdmSampler implements Sampler {
  private final boolean heun;
  private final EdmSchedule schedule;
  private final EdmChurn churn;

  public EdmSampler(boolean heun, EdmSchedule schedule, EdmChurn churn) {
    this.heun = heun;
    this.schedule = schedule;
    this.churn = churn;
  }

  @Override
  public int steps(DiffusionModel model) {
    return schedule.steps();
  }

  @Override
  public String describe() {
    return (heun ? "heun" : "euler") + "(steps=" + schedule.steps() + ", sigma " + schedule.sigmaMin() + ".."
        + schedule.sigmaMax() + ", rho=" + schedule.rho() + (churn.sChurn() > 0 ? ", S_churn=" + churn.sChurn() : "") + ")";
  }

  @Override
  public Tensor run(DiffusionModel model, Guidance guidance, Tensor noise0, long[] labels, Noise noise, StepHook hook) {
    double[] t = schedule.sigmas();
    int n = schedule.steps();
    DiscreteSigmas sigmas = new DiscreteSigmas(model.diffusion());
    Tensor x = Ops.scale(noise0, (float) t[0]);
    try {
      for (int i = 0; i < n; i++) {
        double tCur = t[i];
        double tNext = t[i + 1];
        double tHat = churn.sigmaHat(tCur, n);
        Tensor xHat = x;
        if (tHat > tCur) {
          try (Tensor z = noise.normal(x.device(), Noise.step(i), x.shape())) {
            xHat = Ops.axpby(1f, x, (float) churn.noiseStd(tCur, tHat), z);
          }
        }
        Tensor next;
        try (Tensor ownedHat = xHat == x ? null : xHat;
            Tensor dHat = denoise(model, guidance, sigmas, xHat, tHat, labels);
            Tensor dCur = Ops.axpby((float) (1 / tHat), xHat, (float) (-1 / tHat), dHat)) {
          next = Ops.axpby(1f, xHat, (float) (tNext - tHat), dCur);
          if (heun && tNext > 0) {
            try (Tensor euler = next;
                Tensor dNext = denoise(model, guidance, sigmas, euler, tNext, labels);
                Tensor dPrime = Ops.axpby((float) (1 / tNext), euler, (float) (-1 / tNext), dNext);
                Tensor mean = Ops.axpby(0.5f, dCur, 0.5f, dPrime)) {
              next = Ops.axpby(1f, xHat, (float) (tNext - tHat), mean);
            }
          }
        }
        x.close();
        x = next;
        hook.afterStep(i + 1, n);
      }
      return x;
    } catch (RuntimeException e) {
      x.close();
      throw e;
    }
  }

  /** D(x; sigma) with guidance, through the eps model's VP input scaling. */
  private static Tensor denoise(
      DiffusionModel model, Guidance guidance, DiscreteSigmas sigmas, Tensor x, double sigma, long[] labels) {
    float tNet = (float) sigmas.fractionalTimestep(sigma);
    try (Tensor xIn = Ops.scale(x, (float) (1 / Math.sqrt(1 + sigma * sigma)));
        GuidedOutput g = guidance.evaluate(xIn, tNet, sigma, labels)) {
      // x0 = x - sigma * eps_guided; out = x0
      GuidedStepCoefficients c = new GuidedStepCoefficients(g.scale(), 1f, (float) -sigma, 0f, 0f, 1f, 0f);
      Tensor d = Ops.guidedStep(x, g.a(), g.b(), c, null, null);
      if (g.gradient() != null) {
        // D' = D + sigma^2 grad_x log p(y | x; sigma); the classifier saw x_t = x / sqrt(1 + sigma^2),
        // so the gradient with respect to x carries that factor once more
        Ops.axpbyInto(1f, d, (float) (sigma * sigma / Math.sqrt(1 + sigma * sigma)), g.gradient(), d);
      }
      return d;
    }
  }
}
