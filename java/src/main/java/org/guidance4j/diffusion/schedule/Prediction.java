package org.guidance4j.diffusion.schedule;

/**
 * What a discrete-time network predicts, and the affine map from (x_t, model output g) to the
 * x_0 prediction, x0 = px·x_t + pg·g: the {@code px}, {@code pg} of the fused step.
 */
public enum Prediction {
  /** eps (EPSILON, the ADM default): x0 = sqrt(1/abar)·x − sqrt(1/abar − 1)·eps. */
  EPSILON {
    @Override
    public double px(DiscreteDiffusion d, int t) {
      return d.sqrtRecipAlphaCumprod(t);
    }

    @Override
    public double pg(DiscreteDiffusion d, int t) {
      return -d.sqrtRecipm1AlphaCumprod(t);
    }
  },

  /** x_0 itself (guided-diffusion's START_X, {@code predict_xstart}). */
  START_X {
    @Override
    public double px(DiscreteDiffusion d, int t) {
      return 0.0;
    }

    @Override
    public double pg(DiscreteDiffusion d, int t) {
      return 1.0;
    }
  },

  /**
   * v = sqrt(abar)·eps − sqrt(1 − abar)·x_0 (Salimans & Ho 2022), so
   * x0 = sqrt(abar)·x − sqrt(1 − abar)·v.
   */
  VELOCITY {
    @Override
    public double px(DiscreteDiffusion d, int t) {
      return Math.sqrt(d.alphaCumprod(t));
    }

    @Override
    public double pg(DiscreteDiffusion d, int t) {
      return -Math.sqrt(1 - d.alphaCumprod(t));
    }
  };

  /** The weight of x_t in the x_0 prediction at step t. */
  public abstract double px(DiscreteDiffusion d, int t);

  /** The weight of the model output in the x_0 prediction at step t. */
  public abstract double pg(DiscreteDiffusion d, int t);
}
