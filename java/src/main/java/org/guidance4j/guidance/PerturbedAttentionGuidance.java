package org.guidance4j.guidance;

import java.util.ArrayList;
import java.util.List;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.nn.PerturbedAttention;

/**
 * Perturbed-attention guidance (Ahn et al. 2024, "Self-Rectifying Diffusion Sampling with
 * Perturbed-Attention Guidance"): autoguidance's idea without a trained weak model. The "bad
 * version" D_p of the model is made on the fly by replacing self-attention with the identity map
 * in chosen layers ({@link PerturbedAttention}), and the guided prediction is
 *
 * <pre>
 *   D = D_c + s·(D_c − D_p)                                (PAG alone; pag_scale s)
 *   D = D_u + gamma·(D_c − D_u) + s·(D_c − D_p)            (with classifier-free guidance, as diffusers' PAG pipelines)
 * </pre>
 *
 * on the model's raw prediction (the same weights apply to eps, v or x0, which are affine in D at a
 * fixed noise level). The perturbed rows share the model's batched forward: one forward of 2B,
 * or 3B with CFG (rows: conditional, null class, perturbed). Works with unconditional models when
 * used alone. Wrap it in an {@link Interval} to guide only inside a noise range.
 */
public final class PerturbedAttentionGuidance implements Guidance {
  private final DiffusionModel model;
  private final float scale;
  private final float cfgScale;
  private final List<String> layers;

  /** PAG alone with pag_scale {@code scale} (0 = the model alone) on the named attention layers. */
  public PerturbedAttentionGuidance(DiffusionModel model, double scale, List<String> layers) {
    this(model, scale, layers, 1.0);
  }

  /**
   * PAG with classifier-free guidance of scale {@code cfgScale} (gamma; 1 = no CFG, which then
   * needs no null class).
   */
  public PerturbedAttentionGuidance(DiffusionModel model, double scale, List<String> layers, double cfgScale) {
    String op = "PerturbedAttentionGuidance";
    if (!Double.isFinite(scale) || !Double.isFinite(cfgScale)) {
      throw new InvalidArgumentException(op, "scales must be finite, got pag_scale " + scale + ", cfg scale " + cfgScale);
    }
    if (cfgScale != 1 && model.nullClass() < 0) {
      throw new InvalidArgumentException(
          op, "this model has no null class: PAG combined with classifier-free guidance needs one");
    }
    if (model.attentionLayers().isEmpty()) {
      throw new InvalidArgumentException(op, "this model has no self-attention layers to perturb");
    }
    // names an unknown layer now, not at the first step
    new PerturbedAttention(layers, 0, 1).resolve(model.attentionLayers(), model.middleAttentionLayers());
    this.model = model;
    this.scale = (float) scale;
    this.cfgScale = (float) cfgScale;
    this.layers = List.copyOf(layers);
  }

  public List<String> layers() {
    return layers;
  }

  @Override
  public GuidedOutput evaluate(Tensor x, float t, double sigma, long[] labels) {
    boolean cfg = cfgScale != 1f;
    if (scale == 0f) {
      return cfg ? new ClassifierFree(model, cfgScale).evaluate(x, t, sigma, labels) : new Unguided(model).evaluate(x, t, sigma, labels);
    }
    if (cfg && labels == null) {
      throw new InvalidArgumentException("PerturbedAttentionGuidance", "classifier-free guidance needs class labels");
    }
    List<BatchedForward.Group> groups =
        cfg
            ? List.of(BatchedForward.Group.CONDITIONAL, BatchedForward.Group.NULL_CLASS, BatchedForward.Group.PERTURBED)
            : List.of(BatchedForward.Group.CONDITIONAL, BatchedForward.Group.PERTURBED);
    BatchedForward.Outputs o =
        BatchedForward.run(model, x, t, labels, groups, new PerturbedAttention(layers, 0, 1));
    Tensor cond = o.predictions().get(0);
    Tensor perturbed = o.predictions().get(groups.size() - 1);
    if (!cfg) {
      // D_c + s (D_c - D_p) = D_p + (1 + s)(D_c - D_p): the fused step's own combination
      return new GuidedOutput(perturbed, cond, 1f + scale, o.v(), o.owners());
    }
    Tensor uncond = o.predictions().get(1);
    float gamma = cfgScale;
    float rest = gamma + scale - 1f;
    List<Tensor> owned = new ArrayList<>(o.owners());
    try {
      if (rest != 0f) {
        // u + gamma (c - u) + s (c - p) = a + (gamma + s)(c - a), a = ((gamma - 1) u + s p) / (gamma + s - 1)
        Tensor a = Ops.axpby((gamma - 1f) / rest, uncond, scale / rest, perturbed);
        owned.add(a);
        return new GuidedOutput(a, cond, gamma + scale, o.v(), owned);
      }
      // gamma + s = 1: the combination is (gamma - 1)(c - u) + s (c - p) + c, taken directly
      Tensor g = Ops.guidedCombine(uncond, cond, gamma);
      owned.add(g);
      Ops.axpbyInto(1f, g, scale, cond, g);
      Ops.axpbyInto(1f, g, -scale, perturbed, g);
      return new GuidedOutput(g, null, 1f, o.v(), owned);
    } catch (RuntimeException e) {
      owned.forEach(Tensor::close);
      throw e;
    }
  }

  @Override
  public int evaluations(double sigma) {
    return 1 + (scale != 0f ? 1 : 0) + (cfgScale != 1f ? 1 : 0);
  }

  @Override
  public String describe() {
    return "pag(scale=" + scale + ", layers=" + String.join(",", layers)
        + (cfgScale != 1f ? ", cfg scale=" + cfgScale : "") + ")";
  }
}
