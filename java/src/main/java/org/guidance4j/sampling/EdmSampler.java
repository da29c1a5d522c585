package org.guidance4j.sampling;

import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.diffusion.schedule.EdmChurn;
import org.guidance4j.diffusion.schedule.SigmaSchedule;
import org.guidance4j.guidance.Guidance;

/**
 * EDM2's edm_sampler (Heun, or Euler without the correction) with stochastic churn, over any
 * model's guided {@link DenoiserView}: discrete eps/x0/v models and continuous (EDM2) denoisers
 * alike. The guidance is applied in every evaluation, both of Heun's included, as EDM2 does.
 */
public final class EdmSampler implements Sampler {
  private final boolean heun;
  private final SigmaSchedule schedule;
  private final EdmChurn churn;

  public EdmSampler(boolean heun, SigmaSchedule schedule, EdmChurn churn) {
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
    return (heun ? "heun" : "euler") + "(steps=" + schedule.steps() + ", " + schedule.describe()
        + (churn.sChurn() > 0 ? ", S_churn=" + churn.sChurn() : "") + ")";
  }

  @Override
  public Tensor run(DiffusionModel model, Guidance guidance, Tensor noise0, long[] labels, Noise noise, StepHook hook) {
    try (Guidance run = guidance.openRun()) {
      return loop(model, run, noise0, labels, noise, hook);
    }
  }

  private Tensor loop(DiffusionModel model, Guidance guidance, Tensor noise0, long[] labels, Noise noise, StepHook hook) {
    DenoiserView view = DenoiserView.of(model, guidance);
    double[] t = schedule.sigmas();
    int n = schedule.steps();
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
            Tensor dHat = view.denoise(xHat, tHat, labels);
            Tensor dCur = Ops.axpby((float) (1 / tHat), xHat, (float) (-1 / tHat), dHat)) {
          next = Ops.axpby(1f, xHat, (float) (tNext - tHat), dCur);
          if (heun && tNext > 0) {
            try (Tensor euler = next;
                Tensor dNext = view.denoise(euler, tNext, labels);
                Tensor dPrime = Ops.axpby((float) (1 / tNext), euler, (float) (-1 / tNext), dNext);
                Tensor mean = Ops.axpby(0.5f, dCur, 0.5f, dPrime)) {
              next = Ops.axpby(1f, xHat, (float) (tNext - tHat), mean);
            }
          }
        }
        x.close();
        x = next;
        hook.afterStep(i + 1, n, x);
      }
      return x;
    } catch (RuntimeException e) {
      x.close();
      throw e;
    }
  }
}
