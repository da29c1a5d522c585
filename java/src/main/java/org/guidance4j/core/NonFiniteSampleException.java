package org.guidance4j.core;

/**
 * Sampling produced a NaN or an infinity: found by the on-device watch after every step, before
 * anything is returned or written. Names the first bad sample (its index in the run) and the
 * first step at which it went non-finite.
 */
public final class NonFiniteSampleException extends NonFiniteException {
  private final long sample;
  private final int step;
  private final int steps;

  /**
   * @param step the first sampler step (1..steps) after which the sample held a non-finite value;
   *     0 for the initial noise, steps + 1 when only the sampler's final output was seen
   * @param others how many more samples of the same batch went non-finite
   */
  public NonFiniteSampleException(long sample, int step, int steps, int others) {
    super(
        "sampling",
        "sample " + sample + " went non-finite (NaN or infinity) "
            + (step == 0 ? "in its initial noise"
                : step > steps ? "by the end of the run (the sampler reports no per-step state)"
                : "at step " + step + " of " + steps)
            + (others > 0 ? " (and " + others + " more sample" + (others > 1 ? "s" : "") + " of its batch)" : ""));
    this.sample = sample;
    this.step = step;
    this.steps = steps;
  }

  /** The first non-finite sample, as its index in the run (0..n-1). */
  public long sample() {
    return sample;
  }

  /** The first step after which it held a non-finite value (see the constructor). */
  public int step() {
    return step;
  }

  public int steps() {
    return steps;
  }
}
