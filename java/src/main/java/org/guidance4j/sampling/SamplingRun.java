package org.guidance4j.sampling;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongUnaryOperator;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.NonFinite;
import org.guidance4j.core.NonFiniteInputException;
import org.guidance4j.core.NonFiniteSampleException;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.Unguided;

/**
 * One sampling job: n samples in batches, each sample's noise fixed by (seed, its index) so results
 * do not depend on the batch size. Device memory is bounded by the batch: every step frees what it
 * allocated. Results come back as one F32 CPU tensor (N, C, H, W) in the model's range [-1, 1]
 * ({@link #sample}), or batch by batch ({@link #stream}), with host memory bounded by the batch too.
 * No NaN or infinity gets out: each batch is watched after every step, and a sample that went
 * non-finite is a {@link NonFiniteSampleException} naming it and the step.
 *
 * <p>A run is one caller's configuration; many runs may sample from one model at once, on
 * platform or virtual threads.
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
   * All {@code n} samples at once (memory for all of them on the host; {@link #stream} hands them
   * out batch by batch instead).
   *
   * @param labels one class per sample (null for an unconditional model)
   * @return F32 CPU tensor (n, C, H, W); the caller closes it
   * @throws NonFiniteSampleException when a sample goes NaN or infinite (nothing is returned)
   */
  public Tensor sample(int n, long[] labels, long seed) {
    checkRequest(n, labels);
    long[] shape = model.sampleShape();
    Tensor result = Tensor.empty(Device.cpu(), DType.F32, n, shape[0], shape[1], shape[2]);
    try {
      stream(n, labels, seed, (first, samples) -> result.slice(first, first + samples.dim(0)).copyFrom(samples));
      return result;
    } catch (IOException e) {
      result.close();
      throw new UncheckedIOException("unreachable: copying into memory threw", e);
    } catch (RuntimeException e) {
      result.close();
      throw e;
    }
  }

  /** Receives the samples of one batch, in order, once the batch is finished and checked. */
  @FunctionalInterface
  public interface BatchSink {
    /**
     * @param firstSample index of the batch's first sample in the run
     * @param samples F32 CPU tensor (count, C, H, W) in the model's range; valid during the call only
     */
    void accept(long firstSample, Tensor samples) throws IOException;
  }

  /**
   * Samples {@code n} and hands each finished batch to {@code sink} as it is produced, so memory
   * is bounded by the batch, however large n is. Every batch is watched for NaNs and infinities on
   * its device after every sampler step (a reduction per step, one small read-back per batch); a
   * batch that went non-finite never reaches the sink.
   *
   * @param labels one class per sample (null for an unconditional model)
   * @throws NonFiniteSampleException naming the first bad sample and the step it went non-finite
   * @throws NonFiniteInputException when the {@link #initialNoise} holds a NaN or an infinity
   */
  public void stream(int n, long[] labels, long seed, BatchSink sink) throws IOException {
    checkRequest(n, labels);
    stream(n, labels == null ? null : i -> labels[(int) i], seed, sink);
  }

  /**
   * {@link #stream(int, long[], long, BatchSink)} with the labels produced as the batches need
   * them, so that nothing of size n is held even for a run of millions of samples.
   *
   * @param labels the class of sample i (null for an unconditional model), asked once per sample,
   *     in increasing order of i (so a sequential generator may produce them)
   */
  public void stream(int n, LongUnaryOperator labels, long seed, BatchSink sink) throws IOException {
    Objects.requireNonNull(sink, "sink");
    checkRequest(n);
    if (model.numClasses() > 0 && labels == null) {
      throw new InvalidArgumentException("SamplingRun.sample", "the model is class-conditional: give labels");
    }
    long[] shape = model.sampleShape();
    if (initialNoise != null) {
      NonFinite.requireFinite(initialNoise, "SamplingRun initial noise");
    }
    int batches = (n + batch - 1) / batch;
    int steps = sampler.steps(model);
    long start = System.nanoTime();
    for (int b = 0; b < batches; b++) {
      int from = b * batch;
      int to = Math.min(n, from + batch);
      long[] batchLabels = labels == null ? null : batchLabels(labels, from, to);
      Noise noise = new Noise(seed, from);
      int batchNo = b + 1;
      try (Tensor firstStep = Ops.fill(Tensor.empty(model.device(), DType.F32, to - from), -1f);
          Tensor x = batchNoise(noise, from, to, shape);
          Tensor out = sampler.run(model, guidance, x, batchLabels, noise,
              hook(batchNo, batches, from, to, n, start, firstStep))) {
        // a sampler that reports no per-step state is still watched here, at its output
        NonFinite.mark(out, steps + 1, firstStep);
        requireFinite(firstStep.toFloatArray(), from, steps);
        if (out.dtype() == DType.F32 && out.device().isCpu()) {
          sink.accept(from, out);
        } else {
          try (Tensor f32 = out.dtype() == DType.F32 ? out.toHost() : out.to(DType.F32);
              Tensor host = f32.device().isCpu() ? null : f32.toHost()) {
            sink.accept(from, host != null ? host : f32);
          }
        }
      }
    }
  }

  private Sampler.StepHook hook(int batchNo, int batches, int from, int to, int n, long start, Tensor firstStep) {
    return new Sampler.StepHook() {
      @Override
      public void afterStep(int step, int total) {
        double secs = (System.nanoTime() - start) / 1e9;
        double images = from + (double) (to - from) * step / total;
        listener.accept(new Progress(batchNo, batches, step, total, from + (step == total ? to - from : 0), n, secs, images / secs));
        if (cancelled.getAsBoolean()) {
          throw new CancellationException("sampling cancelled at batch " + batchNo + ", step " + step);
        }
      }

      @Override
      public void afterStep(int step, int total, Tensor x) {
        NonFinite.mark(x, step, firstStep);
        afterStep(step, total);
      }
    };
  }

  /** Throws for the first sample of the batch whose watch entry says it went non-finite. */
  private static void requireFinite(float[] firstStep, int from, int steps) {
    int first = -1;
    int bad = 0;
    for (int j = 0; j < firstStep.length; j++) {
      if (firstStep[j] >= 0) {
        bad++;
        if (first < 0) {
          first = j;
        }
      }
    }
    if (first >= 0) {
      throw new NonFiniteSampleException(from + first, (int) firstStep[first], steps, bad - 1);
    }
  }

  private long[] batchLabels(LongUnaryOperator labels, int from, int to) {
    long[] out = new long[to - from];
    for (int i = from; i < to; i++) {
      long y = labels.applyAsLong(i);
      // an unconditional model may still take labels its guidance uses (a classifier's)
      if (model.numClasses() > 0 && (y < 0 || y >= model.numClasses())) {
        throw new InvalidArgumentException(
            "SamplingRun.sample", "class " + y + " of sample " + i + " is outside [0, " + model.numClasses() + ")");
      }
      out[i - from] = y;
    }
    return out;
  }

  /** n, the labels (an array; or null) and the initial noise. */
  private void checkRequest(int n, long[] labels) {
    checkRequest(n);
    checkLabels(n, labels);
  }

  /** n and the initial noise. */
  private void checkRequest(int n) {
    if (n < 1) {
      throw new InvalidArgumentException("SamplingRun.sample", "n must be >= 1, got " + n);
    }
    if (initialNoise != null) {
      long[] shape = model.sampleShape();
      long[] want = {n, shape[0], shape[1], shape[2]};
      if (!Arrays.equals(initialNoise.shape(), want) || initialNoise.dtype() != DType.F32) {
        throw new InvalidArgumentException(
            "SamplingRun.sample",
            "initial noise is " + initialNoise + ", expected F32 " + Arrays.toString(want));
      }
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
