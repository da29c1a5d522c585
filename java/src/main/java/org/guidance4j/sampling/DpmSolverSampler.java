package org.guidance4j.sampling;

import java.util.Locale;
import org.guidance4j.core.GuidedStepCoefficients;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.diffusion.schedule.SigmaSchedule;
import org.guidance4j.guidance.Guidance;

/**
 * DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion
 * Probabilistic Models"), the multistep second-order solver in data-prediction form, as
 * k-diffusion's {@code sample_dpmpp_2m} and {@code sample_dpmpp_2m_sde} compute it, over any
 * {@link SigmaSchedule} and any model's guided {@link DenoiserView} (discrete eps/x0/v models and
 * EDM2 denoisers alike). With lambda = −log sigma, h = lambda_{i+1} − lambda_i and D_i the
 * denoiser at sigma_i, step i is
 *
 * <pre>
 *   x_{i+1} = (sigma_{i+1}/sigma_i)·e^(−eta·h)·x_i + (1 − e^(−(1+eta)h))·D_i        (first order)
 *           + c·(D_i − D_{i−1})                                                  (from step 1 on)
 *           + sigma_{i+1}·sqrt(1 − e^(−2·eta·h))·s_noise·z_i                      (eta &gt; 0)
 * </pre>
 *
 * with r = h_{i−1}/h and c = (1 − e^(−(1+eta)h))/(2r) (midpoint, k-diffusion's default) or
 * ((1 − e^(−(1+eta)h))/(−(1+eta)h) + 1)/r (heun). The first step has no previous D and is first
 * order; the last (to sigma = 0) returns D itself, the lower-order final step both references use.
 * The ODE sampler (2M) is eta = 0 with the midpoint correction, which is exactly
 * {@code sample_dpmpp_2m}'s update (1 + 1/(2r))·D_i − 1/(2r)·D_{i−1}. z_i is the run's step-i
 * noise ({@link Noise#step}(i)): Philox per sample index, so results do not depend on the batch
 * (k-diffusion draws it from a Brownian tree instead; given the same z both compute the same).
 *
 * <p>Each step is one network evaluation (times the guidance's own) and one fused kernel: D_{i−1}
 * and D_i enter the guided step as its two predictions with scale 1 + c/q0, x0 = that
 * combination, out = qx·x + q0·x0 + qn·z.
 */
public final class DpmSolverSampler implements Sampler {
  /** The second-order correction of the SDE sampler (k-diffusion's solver_type). */
  public enum SolverType { MIDPOINT, HEUN }

  private final SigmaSchedule schedule;
  private final double eta;
  private final double sNoise;
  private final SolverType solver;
  private final boolean sde;

  private DpmSolverSampler(SigmaSchedule schedule, double eta, double sNoise, SolverType solver, boolean sde) {
    if (schedule == null) {
      throw new InvalidArgumentException("DpmSolverSampler", "schedule must not be null");
    }
    if (!(eta >= 0) || Double.isInfinite(eta)) {
      throw new InvalidArgumentException("DpmSolverSampler", "eta must be finite and >= 0, got " + eta);
    }
    if (!(sNoise >= 0) || Double.isInfinite(sNoise)) {
      throw new InvalidArgumentException("DpmSolverSampler", "s_noise must be finite and >= 0, got " + sNoise);
    }
    this.schedule = schedule;
    this.eta = eta;
    this.sNoise = sNoise;
    this.solver = solver == null ? SolverType.MIDPOINT : solver;
    this.sde = sde;
  }

  /** DPM-Solver++(2M), deterministic: k-diffusion's {@code sample_dpmpp_2m}. */
  public static DpmSolverSampler ode(SigmaSchedule schedule) {
    return new DpmSolverSampler(schedule, 0, 1, SolverType.MIDPOINT, false);
  }

  /**
   * DPM-Solver++(2M) SDE: k-diffusion's {@code sample_dpmpp_2m_sde} (its defaults: eta 1,
   * s_noise 1, midpoint).
   */
  public static DpmSolverSampler sde(SigmaSchedule schedule, double eta, double sNoise, SolverType solver) {
    return new DpmSolverSampler(schedule, eta, sNoise, solver, true);
  }

  @Override
  public int steps(DiffusionModel model) {
    return schedule.steps();
  }

  @Override
  public String describe() {
    String base = (sde ? "dpmpp-2m-sde" : "dpmpp-2m") + "(steps=" + schedule.steps() + ", " + schedule.describe();
    if (!sde) {
      return base + ")";
    }
    return base + String.format(Locale.ROOT, ", eta=%s, s_noise=%s, %s)", eta, sNoise, solver.name().toLowerCase(Locale.ROOT));
  }

  @Override
  public Tensor run(DiffusionModel model, Guidance guidance, Tensor noise0, long[] labels, Noise noise, StepHook hook) {
    try (Guidance run = guidance.openRun()) {
      return loop(DenoiserView.of(model, run), noise0, labels, noise, hook);
    }
  }

  private Tensor loop(DenoiserView view, Tensor noise0, long[] labels, Noise noise, StepHook hook) {
    double[] sigmas = schedule.sigmas();
    int n = schedule.steps();
    Tensor x = Ops.scale(noise0, (float) sigmas[0]);
    Tensor previous = null; // D of the previous step
    double hLast = Double.NaN;
    try {
      for (int i = 0; i < n; i++) {
        double sigma = sigmas[i];
        double next = sigmas[i + 1];
        Tensor d = view.denoise(x, sigma, labels);
        if (next == 0) {
          // the denoising step: x = D
          x.close();
          x = d;
        } else {
          try {
            step(x, d, previous, sigma, next, hLast, noise, i);
          } catch (RuntimeException e) {
            d.close();
            throw e;
          }
          hLast = Math.log(sigma) - Math.log(next);
        }
        if (previous != null) {
          previous.close();
        }
        previous = next == 0 ? null : d;
        hook.afterStep(i + 1, n, x);
      }
      return x;
    } catch (RuntimeException e) {
      x.close();
      throw e;
    } finally {
      if (previous != null) {
        previous.close();
      }
    }
  }

  /** x ← one DPM-Solver++(2M) (SDE) step from sigma to next > 0, in place. */
  private void step(Tensor x, Tensor d, Tensor previous, double sigma, double next, double hLast, Noise noise, int i) {
    double h = Math.log(sigma) - Math.log(next);
    double etaH = eta * h;
    double qx = next / sigma * Math.exp(-etaH);
    double q0 = -Math.expm1(-h - etaH);
    double scale = 1;
    if (previous != null) {
      double r = hLast / h;
      double c =
          solver == SolverType.MIDPOINT
              ? 0.5 * q0 / r
              : (q0 / (-h - etaH) + 1) / r;
      scale = 1 + c / q0; // q0 * (D_prev + scale (D - D_prev)) = q0 D + c (D - D_prev)
    }
    double qn = eta > 0 ? next * Math.sqrt(-Math.expm1(-2 * etaH)) * sNoise : 0;
    try (Tensor z = qn != 0 ? noise.normal(x.device(), Noise.step(i), x.shape()) : null) {
      GuidedStepCoefficients c =
          new GuidedStepCoefficients((float) scale, 0f, 1f, 0f, (float) qx, (float) q0, (float) qn);
      Tensor a = previous != null ? previous : d;
      Tensor b = previous != null ? d : null;
      Ops.guidedStepInto(x, a, b, c, z, null, x, null);
    }
  }
}
