package org.guidance4j.guidance;

import java.util.ArrayList;
import java.util.List;
import org.guidance4j.core.Tensor;

/**
 * What one sampler step combines, in the model's eps terms: the guided prediction is
 * {@code b == null ? a : a + scale * (b - a)} (the fused kernel computes it inside the sampler
 * update). {@code v} is the learned-variance interpolation of the conditional model, or null.
 * Closing frees the model outputs these are views of.
 */
public final class GuidedOutput implements AutoCloseable {
  private final Tensor a;
  private final Tensor b;
  private final float scale;
  private final Tensor v;
  private Tensor gradient;
  private final List<Tensor> owned;

  GuidedOutput(Tensor a, Tensor b, float scale, Tensor v, List<Tensor> owned) {
    this.a = a;
    this.b = b;
    this.scale = scale;
    this.v = v;
    this.owned = new ArrayList<>(owned);
  }

  /** Adds classifier guidance's G = s * grad log p(y | x_t) (taking ownership of it). */
  GuidedOutput withGradient(Tensor g) {
    this.gradient = g;
    owned.add(g);
    return this;
  }

  /** s * grad_x log p(y | x_t, t) of classifier guidance, in the model's VP scaling, or null. */
  public Tensor gradient() {
    return gradient;
  }

  public Tensor a() {
    return a;
  }

  public Tensor b() {
    return b;
  }

  public float scale() {
    return scale;
  }

  public Tensor v() {
    return v;
  }

  @Override
  public void close() {
    owned.forEach(Tensor::close);
    owned.clear();
  }
}
