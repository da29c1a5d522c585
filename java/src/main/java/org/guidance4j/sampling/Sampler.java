package org.guidance4j.sampling;

import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.guidance.Guidance;

/**
 * A sampling loop: from unit-variance initial noise to a sample, following the guided model.
 * {@link DiscreteSampler} (DDPM, DDIM) and {@link EdmSampler} (Heun, Euler).
 */
public interface Sampler {
  /**
   * @param x unit-variance initial noise (N, C, H, W) on the model's device; each sampler scales it
   *     as its reference does (as is for DDPM/DDIM, times sigma_max for EDM)
   * @return the sample (a new tensor; x is not modified)
   */
  Tensor run(DiffusionModel model, Guidance guidance, Tensor x, long[] labels, Noise noise, StepHook hook);

  /** Sampler steps (network evaluations per step vary with the guidance and sampler). */
  int steps(DiffusionModel model);

  String describe();

  /** Called after every step; may throw to cancel. */
  interface StepHook {
    void afterStep(int step, int steps);

    /**
     * The form samplers call: {@code x} is the state after the step (the run watches it for NaNs
     * and infinities on its device, so the error can name the step). A sampler that calls only
     * the two-argument form is watched at its output alone.
     */
    default void afterStep(int step, int steps, Tensor x) {
      afterStep(step, steps);
    }
  }
}
