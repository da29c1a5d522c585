package org.guidance4j.nn.adm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.io.SafetensorsFile;
import org.guidance4j.nn.GroupNorm32;
import org.guidance4j.nn.UseGuard;
import org.guidance4j.nn.Weights;

/** guided-diffusion's noisy classifier (EncoderUNetModel with attention pooling): logits of x_t at t. */
public final class AdmClassifier implements AutoCloseable {
  private final AdmConfig config;
  private final SafetensorsFile file;
  private final Weights weights;
  private final TimeEmbed timeEmbed;
  private final EmbProjection projection; // every ResBlock's emb_layers Linear, joined
  private final AdmEncoder encoder;
  private final GroupNorm32 outNorm; // out.0
  private final AttentionPool2d pool; // out.2
  private final UseGuard guard;

  private AdmClassifier(AdmConfig c, SafetensorsFile file, Device device, DType dtype) {
    this.config = c;
    this.file = file;
    this.weights = new Weights(file, device, dtype);
    this.guard = new UseGuard("AdmClassifier " + file.name());
    this.timeEmbed = new TimeEmbed(weights, c.modelChannels());
    this.projection = new EmbProjection(weights);
    this.encoder = new AdmEncoder(weights, projection, c);
    this.outNorm = GroupNorm32.load(weights, "out.0", encoder.channels);
    this.pool =
        new AttentionPool2d(
            weights, "out.2", c.imageSize() / encoder.downsampling, encoder.channels, c.numHeadChannels(), c.outChannels());
    weights.requireAllUsed();
    projection.join();
  }

  public static AdmClassifier load(Path model, Device device, DType dtype) throws IOException {
    return AdmCheckpoint.load(model, AdmConfig.CLASSIFIER, (c, f) -> new AdmClassifier(c, f, device, dtype));
  }


  public AdmConfig config() {
    return config;
  }

  public Device device() {
    return weights.device();
  }

  /** x (N, 3, S, S), timesteps (N) -> logits (N, num_classes). Thread-safe, like every method here. */
  public Tensor forward(Tensor x, float[] timesteps) {
    return guard.run(() -> forwardOpen(x, timesteps));
  }

  private Tensor forwardOpen(Tensor x, float[] timesteps) {
    checkInput(x, timesteps);
    if (x.dtype() != weights.dtype()) {
      try (Tensor converted = x.to(weights.dtype())) {
        return forwardOpen(converted, timesteps);
      }
    }
    try (Tensor a = trunk(x, timesteps)) {
      return pool.forward(a);
    }
  }

  /**
   * The logits and the classifier's pooled features in one pass.
   *
   * @param logits (N, num_classes)
   * @param features (N, C): the spatial mean of out.0's activations (the last GroupNorm + SiLU),
   *     which is the mean token the attention pool starts from; the representation an evaluation
   *     compares images by (as FID uses Inception's average-pooled last activations)
   */
  public record Outputs(Tensor logits, Tensor features) implements AutoCloseable {
    @Override
    public void close() {
      logits.close();
      features.close();
    }
  }

  /** x (N, 3, S, S), timesteps (N) -> {@link Outputs}, both in the weights' dtype. */
  public Outputs forwardWithFeatures(Tensor x, float[] timesteps) {
    return guard.run(() -> forwardWithFeaturesOpen(x, timesteps));
  }

  private Outputs forwardWithFeaturesOpen(Tensor x, float[] timesteps) {
    checkInput(x, timesteps);
    if (x.dtype() != weights.dtype()) {
      try (Tensor converted = x.to(weights.dtype())) {
        return forwardWithFeaturesOpen(converted, timesteps);
      }
    }
    try (Tensor a = trunk(x, timesteps)) {
      long n = a.dim(0);
      long c = a.dim(1);
      long positions = a.dim(2) * a.dim(3);
      Tensor logits = pool.forward(a);
      try (Tensor ones = Ops.fill(Tensor.empty(a.device(), a.dtype(), positions, 1), 1f);
          Tensor mean =
              Ops.gemm(false, false, 1f / positions, a.reshape(n * c, positions), ones, 0f,
                  Tensor.empty(a.device(), a.dtype(), n * c, 1))) {
        return new Outputs(logits, mean.reshape(n, c).copyTo(a.device())); // an owning (N, C) tensor
      } catch (RuntimeException e) {
        logits.close();
        throw e;
      }
    }
  }

  private void checkInput(Tensor x, float[] timesteps) {
    long[] expected = {x.dim(0), config.inChannels(), config.imageSize(), config.imageSize()};
    if (!Arrays.equals(x.shape(), expected) || timesteps.length != x.dim(0)) {
      throw new InvalidArgumentException(
          "AdmClassifier.forward",
          "x has shape " + Arrays.toString(x.shape()) + " and " + timesteps.length + " timesteps; expected "
              + Arrays.toString(expected) + " and one timestep per sample");
    }
  }

  /** Everything before the attention pool: out.0's activations (N, C, S', S'), in the weights' dtype. */
  private Tensor trunk(Tensor x, float[] timesteps) {
    try (Tensor t = TimeEmbed.upload(timesteps, null, device());
        Tensor embSilu = timeEmbed.forwardSilu(t, null, null, x.dtype());
        Tensor embOut = projection.forward(embSilu)) {
      Tensor h = x;
      for (TimestepBlock block : encoder.inputBlocks) {
        Tensor next = block.forward(h, embOut);
        if (h != x) {
          h.close();
        }
        h = next;
      }
      try (Tensor last = h;
          Tensor mid = encoder.middleBlock.forward(last, embOut)) {
        return outNorm.forward(mid, true);
      }
    }
  }

  /**
   * d/dx of sum_i log_softmax(logits_i)[y_i], the gradient guided-diffusion's classifier guidance
   * (cond_fn) takes before scaling it: x (N, 3, S, S), one timestep and one label per sample;
   * returns (N, 3, S, S) in x's dtype. One forward pass records what the backward needs (see
   * {@link Tape}); the softmax's gradient, onehot(y) - softmax(logits), is formed on the host in
   * double.
   */
  public Tensor inputGradient(Tensor x, float[] timesteps, long[] y) {
    return guard.run(() -> inputGradientOpen(x, timesteps, y));
  }

  private Tensor inputGradientOpen(Tensor x, float[] timesteps, long[] y) {
    long[] expected = {x.dim(0), config.inChannels(), config.imageSize(), config.imageSize()};
    if (!Arrays.equals(x.shape(), expected) || timesteps.length != x.dim(0) || y == null || y.length != x.dim(0)) {
      throw new InvalidArgumentException(
          "AdmClassifier.inputGradient",
          "x has shape " + Arrays.toString(x.shape()) + ", " + timesteps.length + " timesteps and "
              + (y == null ? "no" : String.valueOf(y.length)) + " labels; expected " + Arrays.toString(expected)
              + " and one timestep and one label per sample");
    }
    for (int i = 0; i < y.length; i++) {
      if (y[i] < 0 || y[i] >= config.outChannels()) {
        throw new InvalidArgumentException(
            "AdmClassifier.inputGradient",
            "label " + y[i] + " of sample " + i + " is outside [0, " + config.outChannels() + ")");
      }
    }
    if (x.dtype() != weights.dtype()) {
      try (Tensor converted = x.to(weights.dtype());
          Tensor g = inputGradient(converted, timesteps, y)) {
        return g.to(x.dtype());
      }
    }
    try (Tape tape = new Tape();
        Tensor t = TimeEmbed.upload(timesteps, null, device());
        Tensor embSilu = timeEmbed.forwardSilu(t, null, null, x.dtype())) {
      Tensor h = x;
      for (TimestepBlock block : encoder.inputBlocks) {
        h = block.record(h, embSilu, tape);
      }
      Tensor mid = encoder.middleBlock.record(h, embSilu, tape);
      Tensor a = tape.keep(outNorm.forward(mid, true));
      tape.push(d -> outNorm.backward(mid, d, true));
      Tensor logits = pool.record(a, tape);
      float[] dl = logSoftmaxGradient(logits.toFloatArray(), y, (int) logits.dim(1));
      try (Tensor d32 = Tensor.fromArray(device(), dl, logits.shape());
          Tensor d = d32.dtype() == x.dtype() ? null : d32.to(x.dtype())) {
        return tape.backward(d == null ? d32 : d);
      }
    }
  }

  /** onehot(y_i) - softmax(logits_i) per row: the gradient of sum_i log_softmax(logits_i)[y_i]. */
  static float[] logSoftmaxGradient(float[] logits, long[] y, int classes) {
    float[] g = new float[logits.length];
    for (int i = 0; i < y.length; i++) {
      int row = i * classes;
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < classes; j++) {
        max = Math.max(max, logits[row + j]);
      }
      double sum = 0;
      for (int j = 0; j < classes; j++) {
        sum += Math.exp(logits[row + j] - max);
      }
      for (int j = 0; j < classes; j++) {
        double p = Math.exp(logits[row + j] - max) / sum;
        g[row + j] = (float) ((j == y[i] ? 1.0 : 0.0) - p);
      }
    }
    return g;
  }

  @Override
  public void close() {
    guard.close(() -> {
      projection.close();
      weights.closeTensors();
      file.close();
    });
  }
}
