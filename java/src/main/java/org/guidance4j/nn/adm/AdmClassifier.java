package org.guidance4j.nn.adm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.io.ModelConfig;
import org.guidance4j.io.ModelFiles;
import org.guidance4j.io.SafetensorsFile;
import org.guidance4j.nn.GroupNorm32;
import org.guidance4j.nn.Weights;

/** guided-diffusion's noisy classifier (EncoderUNetModel with attention pooling): logits of x_t at t. */
public final class AdmClassifier implements AutoCloseable {
  private final AdmConfig config;
  private final SafetensorsFile file;
  private final Weights weights;
  private final TimeEmbed timeEmbed;
  private final AdmEncoder encoder;
  private final GroupNorm32 outNorm; // out.0
  private final AttentionPool2d pool; // out.2

  private AdmClassifier(AdmConfig c, SafetensorsFile file, Device device, DType dtype) {
    this.config = c;
    this.file = file;
    this.weights = new Weights(file, device, dtype);
    this.timeEmbed = new TimeEmbed(weights, c.modelChannels());
    this.encoder = new AdmEncoder(weights, c);
    this.outNorm = GroupNorm32.load(weights, "out.0", encoder.channels);
    this.pool =
        new AttentionPool2d(
            weights, "out.2", c.imageSize() / encoder.downsampling, encoder.channels, c.numHeadChannels(), c.outChannels());
    weights.requireAllUsed();
  }

  public static AdmClassifier load(Path model, Device device, DType dtype) throws IOException {
    ModelFiles files = ModelFiles.resolve(model);
    ModelConfig mc = files.readConfig();
    AdmConfig c = AdmConfig.from(mc);
    if (!AdmConfig.CLASSIFIER.equals(c.kind())) {
      throw new IllegalArgumentException(files.config() + ": kind is " + c.kind() + ", expected " + AdmConfig.CLASSIFIER);
    }
    SafetensorsFile f = files.openCheckpoint();
    try {
      return new AdmClassifier(c, f, device, dtype);
    } catch (RuntimeException e) {
      f.close();
      throw e;
    }
  }

  public AdmConfig config() {
    return config;
  }

  public Device device() {
    return weights.device();
  }

  /** x (N, 3, S, S), timesteps (N) -> logits (N, num_classes). */
  public Tensor forward(Tensor x, float[] timesteps) {
    long[] expected = {x.dim(0), config.inChannels(), config.imageSize(), config.imageSize()};
    if (!Arrays.equals(x.shape(), expected) || timesteps.length != x.dim(0)) {
      throw new InvalidArgumentException(
          "AdmClassifier.forward",
          "x has shape " + Arrays.toString(x.shape()) + " and " + timesteps.length + " timesteps; expected "
              + Arrays.toString(expected) + " and one timestep per sample");
    }
    if (x.dtype() != weights.dtype()) {
      try (Tensor converted = x.to(weights.dtype())) {
        return forward(converted, timesteps);
      }
    }
    try (Tensor t = TimeEmbed.upload(timesteps, device());
        Tensor emb = timeEmbed.forward(t, x);
        Tensor embSilu = Ops.silu(emb)) {
      Tensor h = x;
      for (TimestepBlock block : encoder.inputBlocks) {
        Tensor next = block.forward(h, embSilu);
        if (h != x) {
          h.close();
        }
        h = next;
      }
      try (Tensor last = h;
          Tensor mid = encoder.middleBlock.forward(last, embSilu);
          Tensor a = outNorm.forward(mid, true)) {
        return pool.forward(a);
      }
    }
  }

  @Override
  public void close() {
    weights.closeTensors();
    file.close();
  }
}
