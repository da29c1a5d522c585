package org.guidance4j.guidance;

import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;

/** The model alone (conditional when given labels). */
public final class Unguided implements Guidance {
  private final DiffusionModel model;

  public Unguided(DiffusionModel model) {
    this.model = model;
  }

  @Override
  public GuidedOutput evaluate(Tensor x, float t, double sigma, long[] labels) {
    ModelOutputs.Parts p =
        ModelOutputs.split(model, model.forward(x, Guidance.repeat(t, x.dim(0)), model.numClasses() > 0 ? labels : null));
    return new GuidedOutput(p.eps(), null, 1f, p.v(), p.owners());
  }

  @Override
  public int evaluations(double sigma) {
    return 1;
  }

  @Override
  public String describe() {
    return "none";
  }
}
