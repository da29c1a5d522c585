package org.guidance4j.guidance;

import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Tensor;

/**
 * Guidance limited to noise levels sigma in (lo, hi] (Kynkäänniemi et al. 2024); outside, the main
 * model alone, so the second evaluation is skipped there.
 */
public final class Interval implements Guidance {
  private final Guidance inside;
  private final Guidance outside;
  private final double lo;
  private final double hi;

  public Interval(Guidance inside, Guidance outside, double lo, double hi) {
    if (!(lo >= 0) || !(hi > lo)) {
      throw new InvalidArgumentException("Interval", "the interval needs 0 <= lo < hi, got (" + lo + ", " + hi + "]");
    }
    this.inside = inside;
    this.outside = outside;
    this.lo = lo;
    this.hi = hi;
  }

  boolean active(double sigma) {
    return sigma > lo && sigma <= hi;
  }

  @Override
  public GuidedOutput evaluate(Tensor x, float t, double sigma, long[] labels) {
    return (active(sigma) ? inside : outside).evaluate(x, t, sigma, labels);
  }

  @Override
  public int evaluations(double sigma) {
    return (active(sigma) ? inside : outside).evaluations(sigma);
  }

  @Override
  public String describe() {
    return inside.describe() + " for sigma in (" + lo + ", " + hi + "]";
  }

  /** Opens both sides' runs: a stateful method keeps its state across the steps inside the interval only. */
  @Override
  public Guidance openRun() {
    Guidance in = inside.openRun();
    Guidance out = outside.openRun();
    return in == inside && out == outside ? this : new Interval(in, out, lo, hi);
  }

  @Override
  public void close() {
    inside.close();
    outside.close();
  }
}
