package org.guidance4j.diffusion.schedule;

/**
 * Sampler noise levels uniform in the time u of Ho & Salimans' log-SNR schedule
 * ({@link LogSnrSchedule}): u_i runs evenly from u(lambda(sigma_max)) to u(lambda(sigma_min)) over
 * N points and sigma_i = exp(−lambda(u_i)/2), then sigma_N = 0. The schedule is the cosine
 * schedule in continuous time, so this spaces steps as a DDIM sampler of a cosine-schedule model
 * with uniformly spaced timesteps does (with more steps at high noise than EDM's rho = 7 grid).
 *
 * @param schedule the log-SNR schedule (its range must contain the sigmas' log-SNRs)
 * @param sigmaMin the last nonzero noise level
 * @param sigmaMax the first noise level
 * @param steps N
 */
public record LogSnrSigmas(LogSnrSchedule schedule, double sigmaMin, double sigmaMax, int steps) implements SigmaSchedule {
  public LogSnrSigmas {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
    if (!(sigmaMin > 0) || !(sigmaMax >= sigmaMin) || Double.isInfinite(sigmaMax)) {
      throw new IllegalArgumentException(
          "needs 0 < sigma_min <= sigma_max < inf, got sigma_min = " + sigmaMin + ", sigma_max = " + sigmaMax);
    }
    double lo = LogSnrSchedule.lambdaOfEdmSigma(sigmaMax);
    double hi = LogSnrSchedule.lambdaOfEdmSigma(sigmaMin);
    if (lo < schedule.lambdaMin() || hi > schedule.lambdaMax()) {
      throw new IllegalArgumentException(
          "sigma range [" + sigmaMin + ", " + sigmaMax + "] has log-SNR [" + lo + ", " + hi
              + "], outside the schedule's [" + schedule.lambdaMin() + ", " + schedule.lambdaMax() + "]");
    }
  }

  /** Ho & Salimans' range lambda in [−20, 20] (sigma from 4.5e−5 to 2.2e4). */
  public static LogSnrSigmas hoSalimans(double sigmaMin, double sigmaMax, int steps) {
    return new LogSnrSigmas(LogSnrSchedule.HO_SALIMANS, sigmaMin, sigmaMax, steps);
  }

  @Override
  public double[] sigmas() {
    double[] out = new double[steps + 1];
    double u0 = schedule.u(LogSnrSchedule.lambdaOfEdmSigma(sigmaMax));
    double u1 = schedule.u(LogSnrSchedule.lambdaOfEdmSigma(sigmaMin));
    out[0] = sigmaMax;
    for (int i = 1; i < steps; i++) {
      double u = u0 + (u1 - u0) * i / (steps - 1);
      out[i] = LogSnrSchedule.edmSigma(schedule.lambda(u));
    }
    if (steps > 1) {
      // the ends exactly as asked, not through tan/atan round trips
      out[steps - 1] = sigmaMin;
    }
    return out;
  }

  @Override
  public String describe() {
    return "log-SNR time, sigma " + sigmaMin + ".." + sigmaMax;
  }
}
