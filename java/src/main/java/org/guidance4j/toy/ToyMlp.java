package org.guidance4j.toy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.ContinuousModel;
import org.guidance4j.diffusion.EdmPreconditioning;
import org.guidance4j.io.ModelConfig;
import org.guidance4j.io.ModelFiles;
import org.guidance4j.io.SafetensorsFile;
import org.guidance4j.nn.Linear;
import org.guidance4j.nn.Weights;

/**
 * The toy's denoiser (tools/train_toy_models.py): D(x; sigma) = c_skip·x + c_out·F([c_in·x,
 * ln(sigma)/4]) under EDM preconditioning, F an MLP of Linear(3, H), SiLU, then {@code layers} x
 * (Linear(H, H), SiLU), and Linear(H, 2). A continuous model: noise input sigma, x0 prediction,
 * samples (2, 1, 1). It is trained on one class (or both) and takes no label: the paper's
 * "conditional" toy model is a model of class A alone, its unconditional one a model of A and B.
 *
 * <p>config.json: {@code kind} "toy_mlp", {@code hidden}, {@code layers}, {@code sigma_data},
 * {@code classes} ("A", "B" or "AB"); checkpoint keys {@code layers.<i>.weight/bias}, {@code out.weight/bias}.
 */
public final class ToyMlp implements ContinuousModel {
  private final SafetensorsFile file;
  private final Weights weights;
  private final List<Linear> layers = new ArrayList<>();
  private final Linear out;
  private final EdmPreconditioning precond;
  private final String classes;
  private final int hidden;

  private ToyMlp(ModelConfig c, SafetensorsFile file, Device device) {
    if (!"toy_mlp".equals(c.kind())) {
      throw new InvalidArgumentException("ToyMlp", c.source() + ": kind is '" + c.kind() + "', expected toy_mlp");
    }
    this.file = file;
    this.weights = new Weights(file, device, DType.F32);
    this.hidden = c.requireInt("hidden");
    int depth = c.requireInt("layers");
    this.precond = new EdmPreconditioning(c.getDouble("sigma_data", 0.5));
    this.classes = c.getString("classes", "A");
    layers.add(Linear.load(weights, "layers.0", 3, hidden));
    for (int i = 1; i <= depth; i++) {
      layers.add(Linear.load(weights, "layers." + i, hidden, hidden));
    }
    this.out = Linear.load(weights, "out", hidden, 2);
    weights.requireAllUsed();
  }

  /** Loads a model folder (config.json + model.safetensors) onto {@code device}, in float32. */
  public static ToyMlp load(Path model, Device device) throws IOException {
    ModelFiles files = ModelFiles.resolve(model);
    ModelConfig config = files.readConfig();
    SafetensorsFile f = files.openCheckpoint();
    try {
      return new ToyMlp(config, f, device);
    } catch (RuntimeException e) {
      f.close();
      throw e;
    }
  }

  /** The classes of the training data: "A", "B" or "AB". */
  public String classes() {
    return classes;
  }

  public int hidden() {
    return hidden;
  }

  @Override
  public Device device() {
    return weights.device();
  }

  @Override
  public long[] sampleShape() {
    return PointModels.sampleShape();
  }

  @Override
  public int numClasses() {
    return 0;
  }

  /** D(x; sigma) (N, 2, 1, 1) for x_vp = x / sqrt(1 + sigma²) (N, 2, 1, 1), sigma per sample. */
  @Override
  public Tensor forward(Tensor x, float[] sigmas, long[] labels) {
    PointModels.checkInput("ToyMlp.forward", x, sigmas);
    long n = x.dim(0);
    Tensor result = Tensor.empty(x.device(), x.dtype(), x.shape());
    try {
      Tensor rows = x.reshape(n, 2);
      Tensor dst = result.reshape(n, 2);
      // the network's scalings are per sigma: one pass per run of equal sigmas (one run in a sampler step)
      for (int i = 0; i < n; ) {
        int j = i + 1;
        while (j < n && sigmas[j] == sigmas[i]) {
          j++;
        }
        try (Tensor d = denoise(rows.slice(i, j), sigmas[i])) {
          dst.slice(i, j).copyFrom(d);
        }
        i = j;
      }
      return result;
    } catch (RuntimeException e) {
      result.close();
      throw e;
    }
  }

  private Tensor denoise(Tensor xVp, double sigma) {
    long n = xVp.dim(0);
    try (Tensor x = Ops.scale(xVp, (float) Math.sqrt(1 + sigma * sigma));
        Tensor xIn = Ops.scale(x, (float) precond.cIn(sigma));
        Tensor noise = Ops.fill(Tensor.empty(x.device(), x.dtype(), n, 1), (float) precond.cNoise(sigma))) {
      Tensor h = Ops.concatChannels(xIn, noise);
      for (Linear layer : layers) {
        try (Tensor in = h; Tensor pre = layer.forward(in)) {
          h = Ops.silu(pre);
        }
      }
      try (Tensor last = h; Tensor f = out.forward(last)) {
        return Ops.axpby((float) precond.cSkip(sigma), x, (float) precond.cOut(sigma), f);
      }
    }
  }

  @Override
  public void close() {
    weights.closeTensors();
    file.close();
  }
}
