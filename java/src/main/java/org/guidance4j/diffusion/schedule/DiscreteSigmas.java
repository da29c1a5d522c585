package org.guidance4j.diffusion.schedule;

/**
 * A discrete diffusion seen as EDM noise levels, sigma_t = sqrt((1 − abar_t)/abar_t)
 * (x_EDM = x_t/sqrt(abar_t)), increasing with t, and the two ways back from a continuous sigma
 * to a timestep the network accepts:
 *
 * <ul>
 *   <li>{@link #nearestTimestep}: the t whose sigma_t is closest in sigma (ties: the smaller t),
 *       as EDM's {@code iDDPMPrecond.round_sigma} does; for networks that take integer t.
 *   <li>{@link #fractionalTimestep}: linear in log sigma between the two neighbouring steps,
 *       clamped to [0, T−1], as k-diffusion's {@code DiscreteSchedule.sigma_to_t} does; for
 *       networks whose timestep embedding accepts a real t. {@link #sigmaAt} is its inverse.
 * </ul>
 *
 * Build it over the ORIGINAL (not respaced) diffusion: the timesteps it returns are the
 * network's own indices.
 */
public final class DiscreteSigmas {
  private final double[] sigmas;
  private final double[] logSigmas;

  public DiscreteSigmas(DiscreteDiffusion diffusion) {
    int n = diffusion.steps();
    sigmas = new double[n];
    logSigmas = new double[n];
    for (int t = 0; t < n; t++) {
      sigmas[t] = diffusion.sigma(t);
      logSigmas[t] = Math.log(sigmas[t]);
    }
  }

  public int steps() {
    return sigmas.length;
  }

  public double sigma(int t) {
    return sigmas[t];
  }

  /** sigma_0 .. sigma_{T−1}, increasing. */
  public double[] sigmas() {
    return sigmas.clone();
  }

  public double sigmaMin() {
    return sigmas[0];
  }

  public double sigmaMax() {
    return sigmas[sigmas.length - 1];
  }

  /** The timestep whose sigma is nearest to {@code sigma} (by |difference|; ties: smaller t). */
  public int nearestTimestep(double sigma) {
    checkSigma(sigma);
    int best = 0;
    double bestDistance = Math.abs(sigmas[0] - sigma);
    for (int t = 1; t < sigmas.length; t++) {
      double distance = Math.abs(sigmas[t] - sigma);
      if (distance < bestDistance) {
        best = t;
        bestDistance = distance;
      }
    }
    return best;
  }

  /** The real timestep at which log sigma, linear between integer steps, equals log(sigma). */
  public double fractionalTimestep(double sigma) {
    checkSigma(sigma);
    double q = Math.log(sigma);
    int atOrBelow = 0;
    while (atOrBelow < logSigmas.length && logSigmas[atOrBelow] <= q) {
      atOrBelow++;
    }
    int lo = Math.min(Math.max(atOrBelow - 1, 0), logSigmas.length - 2);
    double w = (logSigmas[lo] - q) / (logSigmas[lo] - logSigmas[lo + 1]);
    w = Math.min(Math.max(w, 0.0), 1.0);
    return (1 - w) * lo + w * (lo + 1);
  }

  /** sigma at a real timestep t in [0, T−1], interpolating log sigma linearly. */
  public double sigmaAt(double t) {
    if (!(t >= 0 && t <= sigmas.length - 1)) {
      throw new IllegalArgumentException(
          "timestep " + t + " is outside [0, " + (sigmas.length - 1) + "]");
    }
    int lo = (int) Math.floor(t);
    int hi = Math.min(lo + 1, sigmas.length - 1);
    double w = t - lo;
    return Math.exp((1 - w) * logSigmas[lo] + w * logSigmas[hi]);
  }

  private static void checkSigma(double sigma) {
    if (!(sigma >= 0)) {
      throw new IllegalArgumentException("sigma must be >= 0, got " + sigma);
    }
  }
}
