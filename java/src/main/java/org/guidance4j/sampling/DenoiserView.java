package org.guidance4j.sampling;

import java.util.Arrays;
import java.util.Objects;
import org.guidance4j.core.GuidedStepCoefficients;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.GuidedOutput;
import org.guidance4j.guidance.Unguided;

/**
 * Any {@link DiffusionModel}, with or without guidance, seen as an EDM denoiser D(x; sigma) for
 * x = y + sigma·n: the input is scaled to x / sqrt(1 + sigma²) (a discrete model's x_t), the noise
 * input is {@link DiffusionModel#noiseInput}(sigma) (for a discrete model the training timestep of
 * that noise level, interpolated in log sigma as k-diffusion's sigma_to_t does), and the output,
 * whatever it predicts, is mapped to x0 = D:
 *
 * <ul>
 *   <li>eps: D = x − sigma·eps;
 *   <li>x0: D = out;
 *   <li>v (= sqrt(abar)·eps − sqrt(1 − abar)·x0, abar = 1/(1 + sigma²)): D = x/(1 + sigma²) − sigma/sqrt(1 + sigma²)·v.
 * </ul>
 *
 * Guidance combines the model outputs before the map; the map is affine in the output with the
 * same x for both evaluations, so that equals combining the D's. Classifier guidance adds
 * sigma²·grad_x log p(y | x; sigma), the EDM form.
 *
 * <pre>{@code
 * DenoiserView d = DenoiserView.of(model, new ClassifierFree(model, 2.0));
 * try (Tensor x0 = d.denoise(x, 1.5, labels)) { ... }
 * }</pre>
 */
public final class DenoiserView {
  private final DiffusionModel model;
  private final Guidance guidance;

  private DenoiserView(DiffusionModel model, Guidance guidance) {
    this.model = Objects.requireNonNull(model, "model");
    this.guidance = Objects.requireNonNull(guidance, "guidance");
  }

  /** The model alone (conditional when given labels). */
  public static DenoiserView of(DiffusionModel model) {
    return new DenoiserView(model, new Unguided(model));
  }

  /** The guided model; {@code model} is the main model the guidance was built on. */
  public static DenoiserView of(DiffusionModel model, Guidance guidance) {
    return new DenoiserView(model, guidance);
  }

  public DiffusionModel model() {
    return model;
  }

  public Guidance guidance() {
    return guidance;
  }

  /**
   * D(x; sigma) (a new tensor, the shape and dtype of x).
   *
   * @param x (N, C, H, W) in EDM scaling, on the model's device
   * @param sigma the noise level, > 0
   * @param labels one class per sample, or null for an unconditional model
   */
  public Tensor denoise(Tensor x, double sigma, long[] labels) {
    if (!(sigma > 0) || Double.isInfinite(sigma)) {
      throw new InvalidArgumentException("DenoiserView.denoise", "sigma must be positive and finite, got " + sigma);
    }
    long[] want = model.sampleShape();
    long[] got = x.shape();
    if (got.length != 4 || !Arrays.equals(Arrays.copyOfRange(got, 1, 4), want)) {
      throw new InvalidArgumentException(
          "DenoiserView.denoise", "x is " + x + ", expected (N, " + want[0] + ", " + want[1] + ", " + want[2] + ")");
    }
    double s = 1 / Math.sqrt(1 + sigma * sigma);
    try (Tensor xVp = Ops.scale(x, (float) s);
        GuidedOutput g = guidance.evaluate(xVp, model.noiseInput(sigma), sigma, labels)) {
      double px;
      double pg;
      switch (model.prediction()) {
        case EPSILON -> {
          px = 1;
          pg = -sigma;
        }
        case START_X -> {
          px = 0;
          pg = 1;
        }
        case VELOCITY -> {
          px = s * s;
          pg = -sigma * s;
        }
        default -> throw new IllegalStateException("unknown prediction " + model.prediction());
      }
      GuidedStepCoefficients c = new GuidedStepCoefficients(g.scale(), (float) px, (float) pg, 0f, 0f, 1f, 0f);
      Tensor d = Ops.guidedStep(x, g.a(), g.b(), c, null, null);
      if (g.gradient() != null) {
        // D' = D + sigma^2 grad_x log p(y | x; sigma); the classifier saw x_vp = s x, so the
        // gradient it returns (with respect to x_vp) carries the factor s once more
        Ops.axpbyInto(1f, d, (float) (sigma * sigma * s), g.gradient(), d);
      }
      return d;
    }
  }

  /** Network evaluations one {@link #denoise} costs at this noise level. */
  public int evaluations(double sigma) {
    return guidance.evaluations(sigma);
  }
}
