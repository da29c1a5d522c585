package org.guidance4j.diffusion.schedule;

import java.util.function.DoubleUnaryOperator;

/**
 * The named beta schedules of guided-diffusion ({@code noise_schedule}): the per-step noise
 * variances beta_t, t = 0..T-1, of a discrete variance-preserving diffusion, in float64.
 */
public enum BetaSchedule {
  /**
   * Ho et al.'s betas evenly from 1e-4 to 0.02 at T = 1000, both ends scaled by 1000 / T so the
   * total noise stays about the same for other T. For T below 20 the last betas exceed 1, which
   * no diffusion accepts ({@link DiscreteDiffusion} rejects them).
   */
  LINEAR("linear") {
    @Override
    public double[] betas(int steps) {
      checkSteps(steps);
      double scale = 1000.0 / steps;
      return linspace(scale * 0.0001, scale * 0.02, steps);
    }
  },

  /**
   * Nichol & Dhariwal's cosine schedule: abar(u) = cos²((u + s)/(1 + s)·π/2), s = 0.008,
   * beta_t = min(1 − abar((t+1)/T)/abar(t/T), 0.999); the cap keeps the last steps from
   * destroying the signal entirely (abar(1) = 0).
   */
  COSINE("cosine") {
    @Override
    public double[] betas(int steps) {
      checkSteps(steps);
      return forAlphaBar(
          steps,
          u -> {
            double c = Math.cos((u + COSINE_OFFSET) / (1 + COSINE_OFFSET) * Math.PI / 2);
            return c * c;
          },
          COSINE_MAX_BETA);
    }
  };

  /** The small offset s that keeps beta_0 from being vanishingly small. */
  public static final double COSINE_OFFSET = 0.008;

  /** guided-diffusion's {@code max_beta} for the cosine schedule. */
  public static final double COSINE_MAX_BETA = 0.999;

  private final String flagName;

  BetaSchedule(String flagName) {
    this.flagName = flagName;
  }

  /** The betas for {@code steps} diffusion steps (steps >= 1). */
  public abstract double[] betas(int steps);

  /** The name guided-diffusion's {@code --noise_schedule} flag uses. */
  public String flagName() {
    return flagName;
  }

  /** The schedule for a {@code --noise_schedule} value ("linear" or "cosine"). */
  public static BetaSchedule named(String name) {
    for (BetaSchedule s : values()) {
      if (s.flagName.equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown beta schedule: \"" + name + "\" (expected \"linear\" or \"cosine\")");
  }

  /**
   * Betas that discretise a cumulative signal fraction abar(u), u in [0, 1]:
   * beta_t = min(1 − abar((t+1)/T)/abar(t/T), maxBeta).
   */
  public static double[] forAlphaBar(int steps, DoubleUnaryOperator alphaBar, double maxBeta) {
    checkSteps(steps);
    double[] betas = new double[steps];
    for (int i = 0; i < steps; i++) {
      double u1 = (double) i / steps;
      double u2 = (double) (i + 1) / steps;
      betas[i] = Math.min(1 - alphaBar.applyAsDouble(u2) / alphaBar.applyAsDouble(u1), maxBeta);
    }
    return betas;
  }

  /** numpy.linspace's float64 arithmetic (start + i·step, last element exactly stop). */
  static double[] linspace(double start, double stop, int count) {
    double[] out = new double[count];
    if (count == 1) {
      out[0] = start;
      return out;
    }
    double step = (stop - start) / (count - 1);
    for (int i = 0; i < count; i++) {
      out[i] = i * step + start;
    }
    out[count - 1] = stop;
    return out;
  }

  private static void checkSteps(int steps) {
    if (steps < 1) {
      throw new IllegalArgumentException("diffusion steps must be >= 1, got " + steps);
    }
  }
}
