package org.guidance4j.guidance;

import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;

/**
 * Classifier guidance (Dhariwal & Nichol, ADM-G): the base prediction (usually the conditional
 * model alone) plus G = s * grad_x log p(y | x_t, t) from a noise-aware classifier. How G enters the
 * update depends on the sampler (guided-diffusion's condition_mean for DDPM, condition_score for
 * DDIM, D + sigma^2 G for EDM), so it travels in {@link GuidedOutput#gradient()}.
 */
public final class ClassifierGuidance implements Guidance {
  private final Guidance base;
  private final ClassifierGradient classifier;
  private final float scale;

  public ClassifierGuidance(Guidance base, ClassifierGradient classifier, double scale) {
    if (!Double.isFinite(scale)) {
      throw new InvalidArgumentException("ClassifierGuidance", "scale must be finite, got " + scale);
    }
    this.base = base;
    this.classifier = classifier;
    this.scale = (float) scale;
  }

  @Override
  public GuidedOutput evaluate(Tensor x, float t, double sigma, long[] labels) {
    if (labels == null) {
      throw new InvalidArgumentException("ClassifierGuidance", "classifier guidance needs class labels");
    }
    GuidedOutput out = base.evaluate(x, t, sigma, labels);
    try (Tensor grad = classifier.gradient(x, Guidance.repeat(t, x.dim(0)), labels)) {
      return out.withGradient(Ops.scale(grad, scale));
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
  }

  @Override
  public int evaluations(double sigma) {
    return base.evaluations(sigma) + 1;
  }

  @Override
  public Guidance openRun() {
    Guidance run = base.openRun();
    return run == base ? this : new ClassifierGuidance(run, classifier, scale);
  }

  @Override
  public void close() {
    base.close();
  }

  @Override
  public String describe() {
    return "classifier(scale=" + scale + (base instanceof Unguided ? "" : ", on " + base.describe()) + ")";
  }
}
