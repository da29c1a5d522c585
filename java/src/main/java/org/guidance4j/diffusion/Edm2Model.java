package org.guidance4j.diffusion;

import java.io.IOException;
import java.nio.file.Path;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.schedule.DiscreteDiffusion;
import org.guidance4j.nn.edm2.Edm2Config;
import org.guidance4j.nn.PerturbedAttention;
import org.guidance4j.nn.edm2.Edm2Denoiser;

/**
 * An EDM2 denoiser as a continuous-time {@link DiffusionModel}: it predicts x0 = D(x; sigma, c)
 * and takes sigma itself as its noise input. Like every model it receives the variance-preserving
 * x_vp = x / sqrt(1 + sigma^2), which it rescales to EDM's x before running D. Labels are class
 * indices; null means EDM2's all-zero class vector (what an unconditional model always gets).
 */
public final class Edm2Model implements ContinuousModel {
  private final Edm2Denoiser net;
  private final String name;

  private Edm2Model(Edm2Denoiser net, String name) {
    this.net = net;
    this.name = name;
  }

  public static Edm2Model load(Path model, Device device, DType dtype) throws IOException {
    return new Edm2Model(Edm2Denoiser.load(model, device, dtype), model.toString());
  }

  public Edm2Denoiser network() {
    return net;
  }

  @Override
  public Device device() {
    return net.device();
  }

  @Override
  public long[] sampleShape() {
    Edm2Config c = net.config();
    return new long[] {c.imgChannels(), c.imgResolution(), c.imgResolution()};
  }

  @Override
  public int numClasses() {
    return net.config().labelDim();
  }

  @Override
  public DiscreteDiffusion diffusion() {
    throw new UnsupportedOperationException(
        name + " is a continuous-time EDM2 model: use the EDM samplers (heun, euler)");
  }

  /** D(x; sigma, labels) for x_vp (N, C, R, R), sigmas (N) as {@link #noiseInput} gives them. */
  @Override
  public Tensor forward(Tensor xVp, float[] sigmas, long[] labels) {
    return forward(xVp, sigmas, labels, null);
  }

  @Override
  public java.util.List<String> attentionLayers() {
    return net.attentionLayers();
  }

  @Override
  public java.util.List<String> middleAttentionLayers() {
    return net.middleAttentionLayers();
  }

  @Override
  public Tensor forward(Tensor xVp, float[] sigmas, long[] labels, PerturbedAttention perturbation) {
    if (sigmas == null || xVp.rank() < 1 || sigmas.length != xVp.dim(0)) {
      throw new InvalidArgumentException(
          "Edm2Model.forward",
          (sigmas == null ? "no" : String.valueOf(sigmas.length)) + " sigmas for x of shape "
              + java.util.Arrays.toString(xVp.shape()));
    }
    int n = sigmas.length;
    float[] up = new float[n];
    for (int i = 0; i < n; i++) {
      up[i] = (float) Math.sqrt(1 + (double) sigmas[i] * sigmas[i]);
    }
    long[] perSample = {n, 1, xVp.numel() / Math.max(1, n)};
    try (Tensor f = Tensor.fromArray(xVp.device(), up, n, 1);
        Tensor factor = xVp.dtype() == DType.F32 ? f.reshape(n, 1) : f.to(xVp.dtype());
        Tensor x = Tensor.empty(xVp.device(), xVp.dtype(), xVp.shape())) {
      Ops.scaleChannelsInto(xVp.reshape(perSample), factor, x.reshape(perSample));
      return net.forward(x, sigmas, labels, perturbation);
    }
  }

  @Override
  public void close() {
    net.close();
  }
}
