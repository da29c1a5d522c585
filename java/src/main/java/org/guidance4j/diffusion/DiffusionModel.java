package org.guidance4j.diffusion;

import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.schedule.DiscreteDiffusion;

/**
 * A network trained on a discrete variance-preserving diffusion that predicts eps (guided-diffusion's
 * models), seen by the samplers: its raw output at an original timestep index, and the schedule it
 * was trained with. Learned-sigma models append the variance interpolation v as the second half of
 * the channels.
 */
public interface DiffusionModel extends AutoCloseable {
  Device device();

  /** (C, H, W) of one sample. */
  long[] sampleShape();

  /** Number of real classes; 0 for an unconditional model. */
  int numClasses();

  /** The label of the classifier-free-guidance null token, or -1 when the model has none. */
  long nullClass();

  boolean learnedSigma();

  /** guided-diffusion's sigma_small: DDPM's fixed variance is the posterior's (true) or beta_t (false). */
  default boolean sigmaSmall() {
    return false;
  }

  /** The training diffusion (all original timesteps). */
  DiscreteDiffusion diffusion();

  /** Raw output (N, C or 2C, H, W) for x (N, C, H, W) at network timesteps t and labels (or null). */
  Tensor forward(Tensor x, float[] timesteps, long[] labels);

  @Override
  void close();
}
