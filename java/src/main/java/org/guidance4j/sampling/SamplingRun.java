package org.guidance4j.sampling;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.guidance4j.core.DType;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.Unguided;

/**
 * One sampling job: n samples in batches, each sample's noise fixed by (seed, its index) so results
 * do not depend on the batch size. Device memory is bounded by the batch: every step frees what it
 * allocated. Results come back as one F32 CPU tensor (N, C, H, W) in the model's range [-1, 1].
 *
 * <pre>{@code
 * try (AdmModel model = AdmModel.load(Path.of("models/digits-unet"), Device.best(), DType.F32)) {
 *   Tensor images = SamplingRun.of(model)
 *       .sampler(DiscreteSampler.ddim("ddim50", true, 0))
 *       .guidance(new ClassifierFree(model, 3.0))
 *       .sample(16, SamplingRun.classes(16, 0, 1, 2, 3), 42);
 * }
 * }</pre>
 */
public final class SamplingRun {
  private final DiffusionModel model;
  private Sampler sampler = DiscreteSampler.ddim("ddim50", true, 0);
  private Guidance guidance;
  private int batch = 16;
  private Tensor initialNoise;
  private Consumer<Progress> listener = p -> {};
  private BooleanSupplier cancelled = () -> false;

  private SamplingRun(DiffusionModel model) {
    this.model = model;
    this.guidance = new Unguided(model);
  }

  public static SamplingRun of(DiffusionModel model) {
    return new SamplingRun(Objects.requireNonNull(model, "model"));
  }

  public SamplingRun sampler(Sampler s) {
    this.sampler = Objects.requireNonNull(s, "sampler");
    return this;
  }

  public SamplingRun guidance(Guidance g) {
    this.guidance = Objects.requireNonNull(g, "guidance");
    return this;
  }

  public SamplingRun batch(int b) {
    if (b < 1) {
      throw new InvalidArgumentException("SamplingRun.batch", "batch must be >= 1, got " + b);
    }
    this.batch = b;
    return this;
  }

  /** Unit-variance x_T (N, C, H, W, F32, any device) instead of the seeded noise. */
  public SamplingRun initialNoise(Tensor noise) {
    this.initialNoise = noise;
    return this;
  }

  public SamplingRun listener(Consumer<Progress> l) {
    this.listener = Objects.requireNonNull(l, "listener");
    return this;
  }

  /** Checked after every step; when it returns true the run stops with a CancellationException. */
  public SamplingRun cancelWhen(BooleanSupplier c) {
    this.cancelled = Objects.requireNonNull(c, "cancelWhen");
    return this;
  }

  /** {@code n} labels cycling through {@code classes} (for class-conditional models). */
  public static long[] classes(int n, long... classes) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = classes[i % classes.length];
    }
    return out;
  }

  /**
   * @param labels one class per sample (null for an unconditional model)
   * @return F32 CPU tensor (n, C, H, W); the caller closes it
   */
  public Tensor sample(int n, long[] labels, long seed) {
    if (n < 1) {
      throw new InvalidArgumentException("SamplingRun.sample", "n must be >= 1, got " + n);
    }
    checkLabels(n, labels);
    long[] shape = model.sampleShape();
    if (initialNoise != null) {
      long[] want = {n, shape[0], shape[1], shape[2]};
      if (!Arrays.equals(initialNoise.shape(), want) || initialNoise.dtype() != DType.F32) {
        throw new InvalidArgumentException(
            "SamplingRun.sample",
            "initial noise is " + initialNoise + ", expected F32 " + Arrays.toString(want));
      }
    }
    int batches = (n + batch - 1) / batch;
    int steps = sampler.steps(model);
    long start = System.nanoTime();
    Tensor result = Tensor.empty(org.guidance4j.core.Device.cpu(), DType.F32, n, shape[0], shape[1], shape[2]);
    try {
      for (int b = 0; b < batches; b++) {
        int from = b * batch;
        int to = Math.min(n, from + batch);
        long[] batchLabels = labels == null ? null : Arrays.copyOfRange(labels, from, to);
        Noise noise = new Noise(seed, from);
        int batchNo = b + 1;
        long done = from;
        Sampler.StepHook hook =
            (step, total) -> {
              double secs = (System.nanoTime() - start) / 1e9;
              double images = done + (double) (to - from) * step / total;
              listener.accept(new Progress(batchNo, batches, step, total, done + (step == total ? to - from : 0), n, secs, images / secs));
              if (cancelled.getAsBoolean()) {
                throw new CancellationException("sampling cancelled at batch " + batchNo + ", step " + step);
              }
            };
        try (Tensor x = batchNoise(noise, from, to, shape);
            Tensor out = sampler.run(model, guidance, x, batchLabels, noise, hook)) {
          if (out.dtype() == DType.F32) {
            result.slice(from, to).copyFrom(out);
          } else {
            try (Tensor f32 = out.to(DType.F32)) {
              result.slice(from, to).copyFrom(f32);
            }
          }
        }
      }
      return result;
    } catch (RuntimeException e) {
      result.close();
      throw e;
    }
  }

  private Tensor batchNoise(Noise noise, int from, int to, long[] shape) {
    if (initialNoise != null) {
      return initialNoise.slice(from, to).copyTo(model.device());
    }
    return noise.normal(model.device(), Noise.INITIAL, to - from, shape[0], shape[1], shape[2]);
  }

  private void checkLabels(int n, long[] labels) {
    if (model.numClasses() == 0) {
      return;
    }
    if (labels == null || labels.length != n) {
      throw new InvalidArgumentException(
          "SamplingRun.sample", "the model is class-conditional: give " + n + " labels, got "
              + (labels == null ? "none" : labels.length));
    }
    for (long y : labels) {
      if (y < 0 || y >= model.numClasses()) {
        throw new InvalidArgumentException(
            "SamplingRun.sample", "class " + y + " is outside [0, " + model.numClasses() + ")");
      }
    }
  }

  public Sampler sampler() {
    return sampler;
  }

  public Guidance guidance() {
    return guidance;
  }
}
