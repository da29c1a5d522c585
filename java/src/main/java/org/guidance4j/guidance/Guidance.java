package org.guidance4j.guidance;

import org.guidance4j.core.Tensor;

/**
 * A guidance method: evaluates the model(s) at x for one sampler step and hands back the pair the
 * fused update combines ({@link GuidedOutput}). Implementations: {@link Unguided},
 * {@link ClassifierFree}, {@link RescaledClassifierFree}, {@link AdaptiveProjected},
 * {@link PerturbedAttentionGuidance}, {@link Autoguidance}, and {@link Interval} around any of them.
 *
 * <p>A method may keep state across the steps of one sampling run (APG's momentum). Samplers
 * therefore evaluate the guidance {@link #openRun} returns and close it when the run ends; for a
 * stateless method that is the method itself and closing it does nothing. Closing never closes
 * the models a guidance was built on: their owner does.
 */
public interface Guidance extends AutoCloseable {
  /**
   * @param t the network timestep (original discrete index, possibly fractional)
   * @param sigma the step's noise level sqrt((1 - abar)/abar), for the guidance interval
   * @param labels one class per sample, or null for unconditional models
   */
  GuidedOutput evaluate(Tensor x, float t, double sigma, long[] labels);

  /** Number of network evaluations per call, for throughput reports. */
  int evaluations(double sigma);

  /** One line for logs and summaries, e.g. "cfg(scale=3.0)". */
  String describe();

  /**
   * The guidance one sampling run (one batch) evaluates: this for stateless methods, a fresh copy
   * with empty state for stateful ones, so that a run's state depends only on its own steps.
   */
  default Guidance openRun() {
    return this;
  }

  /** Frees the state of a run opened by {@link #openRun} (nothing for a stateless method). */
  @Override
  default void close() {}

  static float[] repeat(float t, long n) {
    float[] ts = new float[(int) n];
    java.util.Arrays.fill(ts, t);
    return ts;
  }
}
