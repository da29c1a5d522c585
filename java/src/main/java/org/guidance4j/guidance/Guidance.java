package org.guidance4j.guidance;

import org.guidance4j.core.Tensor;

/**
 * A guidance method: evaluates the model(s) at x for one sampler step and hands back the pair the
 * fused update combines ({@link GuidedOutput}). Implementations: {@link Unguided},
 * {@link ClassifierFree}, {@link Autoguidance}, and {@link Interval} around any of them.
 */
public interface Guidance {
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

  static float[] repeat(float t, long n) {
    float[] ts = new float[(int) n];
    java.util.Arrays.fill(ts, t);
    return ts;
  }
}
