package org.guidance4j.guidance;

import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;

/**
 * Classifier-free guidance (Ho & Salimans): eps~ = eps(x, null) + gamma (eps(x, c) - eps(x, null)),
 * gamma = 1 + w. The conditional and null-class halves run as ONE forward of batch 2B; the
 * variance of learned-sigma models comes from the conditional half.
 */
public final class ClassifierFree implements Guidance {
  private final DiffusionModel model;
  private final float gamma;

  /** @param gamma the weight of the guided direction (EDM2/diffusers' scale; 1 = conditional model alone) */
  public ClassifierFree(DiffusionModel model, double gamma) {
    if (model.nullClass() < 0) {
      throw new InvalidArgumentException(
          "ClassifierFree",
          "this model has no null class: classifier-free guidance needs a model trained with class"
              + " dropout, whose label embedding has num_classes + 1 rows");
    }
    if (!Double.isFinite(gamma)) {
      throw new InvalidArgumentException("ClassifierFree", "scale must be finite, got " + gamma);
    }
    this.model = model;
    this.gamma = (float) gamma;
  }

  @Override
  public GuidedOutput evaluate(Tensor x, float t, double sigma, long[] labels) {
    if (labels == null) {
      throw new InvalidArgumentException("ClassifierFree", "classifier-free guidance needs class labels");
    }
    if (gamma == 1f) {
      // exactly the conditional model's output (the network is batch-invariant), without the null half
      return new Unguided(model).evaluate(x, t, sigma, labels);
    }
    long n = x.dim(0);
    long[] both = new long[(int) (2 * n)];
    for (int i = 0; i < n; i++) {
      both[i] = labels[i];
      both[(int) n + i] = model.nullClass();
    }
    long[] shape = x.shape();
    shape[0] = 2 * n;
    Tensor out;
    try (Tensor xx = Tensor.empty(x.device(), x.dtype(), shape)) {
      xx.slice(0, n).copyFrom(x);
      xx.slice(n, 2 * n).copyFrom(x);
      out = model.forward(xx, Guidance.repeat(t, 2 * n), both);
    }
    ModelOutputs.Parts p = ModelOutputs.split(model, out);
    Tensor v = p.v() == null ? null : p.v().slice(0, n);
    return new GuidedOutput(p.eps().slice(n, 2 * n), p.eps().slice(0, n), gamma, v, p.owners());
  }

  @Override
  public int evaluations(double sigma) {
    return gamma == 1f ? 1 : 2;
  }

  @Override
  public String describe() {
    return "cfg(scale=" + gamma + ")";
  }
}
