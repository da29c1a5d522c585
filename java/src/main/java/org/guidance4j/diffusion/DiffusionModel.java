package org.guidance4j.diffusion;

import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.schedule.DiscreteDiffusion;
import org.guidance4j.diffusion.schedule.Prediction;
import org.guidance4j.nn.PerturbedAttention;

/**
 * A denoising network as the samplers and guidance methods see it.
 *
 * <p>Every model takes its input in variance-preserving scaling, x_vp = x / sqrt(1 + sigma^2) for
 * EDM's x = y + sigma n (for a discrete model that is x_t itself), and the noise input that
 * {@link #noiseInput} maps sigma to. Its raw output's first C channels are the {@link #prediction}
 * (eps, x0 or v); learned-sigma models append the variance interpolation v_var as C more channels.
 *
 * <p>Discrete models (guided-diffusion's) have the {@link #diffusion} they were trained on and take
 * the original timestep index as noise input, so the DDPM/DDIM samplers run them; every model runs
 * under the EDM samplers through its denoiser view ({@code org.guidance4j.sampling.DenoiserView}). Continuous models
 * (EDM2's preconditioned networks) predict x0 = D(x; sigma) and take sigma itself.
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

  /** What the first C output channels predict. */
  default Prediction prediction() {
    return Prediction.EPSILON;
  }

  /** Whether the model has a discrete training {@link #diffusion} (so DDPM and DDIM can run it). */
  default boolean discrete() {
    return true;
  }

  /**
   * The training diffusion (all original timesteps) of a discrete model.
   *
   * @throws UnsupportedOperationException for a continuous model, naming it
   */
  DiscreteDiffusion diffusion();

  /**
   * The noise input at EDM noise level sigma: for a discrete model the original timestep,
   * fractional, linear in log sigma between its two neighbours (k-diffusion's sigma_to_t); for a
   * continuous model sigma itself.
   */
  float noiseInput(double sigma);

  /**
   * Raw output (N, C or 2C, H, W) for x_vp (N, C, H, W) at the given noise inputs (one per sample:
   * timesteps for discrete models, sigmas for continuous ones) and labels (or null).
   */
  Tensor forward(Tensor x, float[] noiseInputs, long[] labels);

  /**
   * The self-attention layers perturbed-attention guidance can replace by the identity, by
   * checkpoint key; empty for a model without any (then {@link #forward(Tensor, float[], long[],
   * PerturbedAttention)} is unsupported).
   */
  default java.util.List<String> attentionLayers() {
    return java.util.List.of();
  }

  /** The middle attention layer(s) among {@link #attentionLayers}: what "mid" selects (diffusers' default). */
  default java.util.List<String> middleAttentionLayers() {
    return java.util.List.of();
  }

  /**
   * {@link #forward(Tensor, float[], long[])} with the perturbation's rows of the batch on the
   * identity attention map in its layers (the model's perturbed version, made on the fly); null
   * is the plain forward.
   *
   * @throws UnsupportedOperationException for a model without self-attention layers
   */
  default Tensor forward(Tensor x, float[] noiseInputs, long[] labels, PerturbedAttention perturbation) {
    if (perturbation == null) {
      return forward(x, noiseInputs, labels);
    }
    throw new UnsupportedOperationException(
        getClass().getSimpleName() + " has no self-attention layers to perturb (perturbed-attention guidance)");
  }

  @Override
  void close();
}
