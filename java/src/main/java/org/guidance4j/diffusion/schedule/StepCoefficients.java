package org.guidance4j.diffusion.schedule;

/**
 * The scalars of one fused sampler update ({@code g4j_guided_step}), per element:
 *
 * <pre>
 *   x0  = px·x + pg·g,  clamped to [−clip, clip] when clip &gt; 0     (g: the guided model output)
 *   out = qx·x + q0·x0 + qn·std·noise                             (std: 1, or per element)
 * </pre>
 *
 * Computed in float64; the native step takes them as float. {@link #x0} and {@link #out} are
 * the scalar reference of that kernel.
 */
public record StepCoefficients(double px, double pg, double qx, double q0, double qn) {

  /** The x_0 prediction of one element; {@code clip <= 0} means no clamping. */
  public double x0(double x, double g, double clip) {
    double x0 = px * x + pg * g;
    return clip > 0 ? Math.max(-clip, Math.min(clip, x0)) : x0;
  }

  /** The updated element from x, its (possibly clamped, possibly guided) x0, noise and std. */
  public double out(double x, double x0, double noise, double std) {
    return qx * x + q0 * x0 + qn * std * noise;
  }

  /** Whether the step adds noise at all (false at the last step, t = 0, and for ODE steps). */
  public boolean noisy() {
    return qn != 0.0;
  }
}
