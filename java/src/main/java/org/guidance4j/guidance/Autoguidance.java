package org.guidance4j.guidance;

import java.util.Arrays;
import java.util.function.Supplier;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;

/**
 * Autoguidance (Karras et al. 2024): D_w = D0 + w (D1 - D0) with D1 the main model and D0 a weaker
 * model of the same task (smaller and/or trained less; its size may differ). Both take the same
 * noise input and predict the same quantity (eps, x0 or v), each affine in D at a fixed noise
 * level, so the same weights apply to the raw outputs. An unconditional D0 gives EDM2's
 * classifier-free guidance by a separate network.
 */
public final class Autoguidance implements Guidance {
  private final DiffusionModel main;
  private final DiffusionModel guide;
  private final float w;
  private final boolean concurrent;

  /**
   * On a CUDA device the guide runs concurrently with the main model, on the device's side stream
   * (see SideStreamRunner); on the CPU one after the other.
   */
  public Autoguidance(DiffusionModel main, DiffusionModel guide, double w) {
    this(main, guide, w, false);
  }

  /** {@code concurrent}: run the two networks on two threads and streams even on the CPU (for tests). */
  Autoguidance(DiffusionModel main, DiffusionModel guide, double w, boolean concurrent) {
    if (!Arrays.equals(main.sampleShape(), guide.sampleShape())) {
      throw new InvalidArgumentException(
          "Autoguidance",
          "the guiding model makes samples of shape " + Arrays.toString(guide.sampleShape())
              + " but the main model " + Arrays.toString(main.sampleShape()));
    }
    if (guide.numClasses() != 0 && guide.numClasses() != main.numClasses()) {
      throw new InvalidArgumentException(
          "Autoguidance",
          "the guiding model has " + guide.numClasses() + " classes, the main model " + main.numClasses());
    }
    if (main.discrete() != guide.discrete()) {
      throw new InvalidArgumentException(
          "Autoguidance",
          "one model is discrete-time and the other continuous-time (EDM2): they take different noise inputs");
    }
    if (main.discrete()
        && (main.diffusion().steps() != guide.diffusion().steps()
            || main.diffusion().alphaCumprod(main.diffusion().steps() - 1)
                != guide.diffusion().alphaCumprod(guide.diffusion().steps() - 1))) {
      throw new InvalidArgumentException(
          "Autoguidance", "the guiding model was trained on another noise schedule than the main model");
    }
    if (main.prediction() != guide.prediction()) {
      // the combination is taken on raw outputs, which is only the combination of D's when both
      // are the same affine function of D
      throw new InvalidArgumentException(
          "Autoguidance",
          "the guiding model predicts " + guide.prediction() + " but the main model " + main.prediction());
    }
    if (!Double.isFinite(w)) {
      throw new InvalidArgumentException("Autoguidance", "scale must be finite, got " + w);
    }
    this.main = main;
    this.guide = guide;
    this.w = (float) w;
    this.concurrent = concurrent;
  }

  @Override
  public GuidedOutput evaluate(Tensor x, float t, double sigma, long[] labels) {
    if (w == 1f) {
      // exactly the main model's output, and the second evaluation is not run (as EDM2's sampler)
      return new Unguided(main).evaluate(x, t, sigma, labels);
    }
    float[] ts = Guidance.repeat(t, x.dim(0));
    Supplier<ModelOutputs.Parts> runMain =
        () -> ModelOutputs.split(main, main.forward(x, ts, main.numClasses() > 0 ? labels : null));
    Supplier<ModelOutputs.Parts> runGuide =
        () -> ModelOutputs.split(guide, guide.forward(x, ts, guide.numClasses() > 0 ? labels : null));
    ModelOutputs.Parts d1;
    ModelOutputs.Parts d0;
    if (concurrent || SideStreamRunner.enabled(x.device())) {
      SideStreamRunner.Pair p = SideStreamRunner.run(x.device(), runMain, runGuide);
      d1 = p.first();
      d0 = p.second();
    } else {
      d1 = runMain.get();
      try {
        d0 = runGuide.get();
      } catch (RuntimeException e) {
        d1.owners().forEach(Tensor::close);
        throw e;
      }
    }
    var owned = new java.util.ArrayList<>(d1.owners());
    owned.addAll(d0.owners());
    return new GuidedOutput(d0.eps(), d1.eps(), w, d1.v(), owned);
  }

  @Override
  public int evaluations(double sigma) {
    return w == 1f ? 1 : 2;
  }

  @Override
  public String describe() {
    return "auto(scale=" + w + ")";
  }
}
