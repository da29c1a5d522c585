package org.guidance4j.diffusion.schedule;

/**
 * The bounds of a learned-range variance at one step (Nichol & Dhariwal's {@code learn_sigma}):
 * for the network's variance output v in [−1, 1], frac = (v + 1)/2 and
 * log var = frac·maxLog + (1 − frac)·minLog, per element. A sampler computes the per-element noise
 * std from these two scalars (it is the {@code noise_std} input of the fused step).
 *
 * @param minLog log btilde_t, clipped (btilde_1 at t = 0)
 * @param maxLog log beta_t
 */
public record LearnedRange(double minLog, double maxLog) {

  public static LearnedRange of(DiscreteDiffusion d, int t) {
    return new LearnedRange(d.posteriorLogVarianceClipped(t), Math.log(d.beta(t)));
  }

  public double logVariance(double v) {
    double frac = (v + 1) / 2;
    return frac * maxLog + (1 - frac) * minLog;
  }

  public double variance(double v) {
    return Math.exp(logVariance(v));
  }

  /** exp(0.5·log var): the noise scale of the DDPM step. */
  public double std(double v) {
    return Math.exp(0.5 * logVariance(v));
  }
}
