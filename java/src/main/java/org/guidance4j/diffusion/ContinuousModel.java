package org.guidance4j.diffusion;

import org.guidance4j.diffusion.schedule.DiscreteDiffusion;
import org.guidance4j.diffusion.schedule.Prediction;

/**
 * A continuous-time denoiser (EDM's D(x; sigma), as EDM2's preconditioned networks and the 2-D
 * toy's models are): it predicts x0 and takes sigma itself as its noise input, has no discrete
 * schedule (so only the EDM samplers run it) and no learned variance or null class.
 */
public interface ContinuousModel extends DiffusionModel {
  @Override
  default boolean learnedSigma() {
    return false;
  }

  @Override
  default long nullClass() {
    return -1;
  }

  @Override
  default Prediction prediction() {
    return Prediction.START_X;
  }

  @Override
  default boolean discrete() {
    return false;
  }

  @Override
  default DiscreteDiffusion diffusion() {
    throw new UnsupportedOperationException(
        getClass().getSimpleName() + " is a continuous-time model: use the EDM samplers (heun, euler)");
  }

  @Override
  default float noiseInput(double sigma) {
    return (float) sigma;
  }
}
