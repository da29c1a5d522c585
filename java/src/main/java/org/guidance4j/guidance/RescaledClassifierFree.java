package org.guidance4j.guidance;

import java.util.ArrayList;
import java.util.List;
import org.guidance4j.core.GuidanceOps;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;

/**
 * Classifier-free guidance with guidance rescale (Lin et al. 2023, "Common Diffusion Noise
 * Schedules and Sample Steps Are Flawed", section 3.4), as diffusers' {@code guidance_rescale}
 * computes it: per sample, the guided prediction g = u + gamma·(c − u) is mixed with its copy
 * rescaled to the conditional prediction's standard deviation,
 *
 * <pre>
 *   g' = phi · g·std(c)/std(g) + (1 − phi) · g
 * </pre>
 *
 * std over all of a sample's elements (C, H, W) with Bessel's correction, as torch.std. Like
 * diffusers it works on the model's raw prediction (its "noise_pred"): eps for eps models, v for
 * v models, x0 = D for x0 and EDM2 models. phi = 0 is plain CFG; the paper suggests phi = 0.7.
 * The halves run as one forward of 2B as in {@link ClassifierFree}; the rescale is one native op
 * on the device ({@link GuidanceOps#cfgRescale}).
 */
public final class RescaledClassifierFree implements Guidance {
  private final DiffusionModel model;
  private final float gamma;
  private final float phi;

  /**
   * @param gamma CFG's scale (1 = the conditional model alone)
   * @param phi diffusers' guidance_rescale, in [0, 1]
   */
  public RescaledClassifierFree(DiffusionModel model, double gamma, double phi) {
    if (model.nullClass() < 0) {
      throw new InvalidArgumentException(
          "RescaledClassifierFree",
          "this model has no null class: classifier-free guidance needs a model trained with class dropout");
    }
    if (!Double.isFinite(gamma)) {
      throw new InvalidArgumentException("RescaledClassifierFree", "scale must be finite, got " + gamma);
    }
    if (!(phi >= 0 && phi <= 1)) {
      throw new InvalidArgumentException("RescaledClassifierFree", "guidance_rescale must be in [0, 1], got " + phi);
    }
    this.model = model;
    this.gamma = (float) gamma;
    this.phi = (float) phi;
  }

  @Override
  public GuidedOutput evaluate(Tensor x, float t, double sigma, long[] labels) {
    if (labels == null) {
      throw new InvalidArgumentException("RescaledClassifierFree", "classifier-free guidance needs class labels");
    }
    if (gamma == 1f) {
      // g = c: the rescale factor is 1, and the null half is not needed
      return new Unguided(model).evaluate(x, t, sigma, labels);
    }
    BatchedForward.Outputs o =
        BatchedForward.run(
            model, x, t, labels, List.of(BatchedForward.Group.CONDITIONAL, BatchedForward.Group.NULL_CLASS), null);
    Tensor cond = o.predictions().get(0);
    Tensor uncond = o.predictions().get(1);
    if (phi == 0f) {
      return new GuidedOutput(uncond, cond, gamma, o.v(), o.owners());
    }
    Tensor g;
    try {
      g = GuidanceOps.cfgRescale(uncond, cond, gamma, phi);
    } catch (RuntimeException e) {
      o.owners().forEach(Tensor::close);
      throw e;
    }
    List<Tensor> owned = new ArrayList<>(o.owners());
    owned.add(g);
    return new GuidedOutput(g, null, 1f, o.v(), owned);
  }

  @Override
  public int evaluations(double sigma) {
    return gamma == 1f ? 1 : 2;
  }

  @Override
  public String describe() {
    return "cfg(scale=" + gamma + ", guidance_rescale=" + phi + ")";
  }
}
