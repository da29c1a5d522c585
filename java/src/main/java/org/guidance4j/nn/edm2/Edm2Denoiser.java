package org.guidance4j.nn.edm2;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.EdmPreconditioning;
import org.guidance4j.io.ModelConfig;
import org.guidance4j.io.ModelFiles;
import org.guidance4j.io.SafetensorsFile;
import org.guidance4j.nn.IdentityAttention;
import org.guidance4j.nn.PerturbedAttention;
import org.guidance4j.nn.UseGuard;
import org.guidance4j.nn.Weights;

/**
 * EDM2's Precond: the denoiser D(x; sigma, c) = c_skip x + c_out F(c_in x; ln(sigma) / 4, c) of
 * an {@link Edm2UNet} F, for x in EDM scaling (x = y + sigma n). The training-only uncertainty
 * head (logvar_fourier, logvar_linear) is accepted in the checkpoint and not loaded.
 *
 * <p>All weights are read on the CPU, normalised there in double, and uploaded once; the
 * checkpoint file is closed when loading ends.
 */
public final class Edm2Denoiser implements AutoCloseable {
  private final Edm2Config config;
  private final EdmPreconditioning precond;
  private final Edm2UNet unet;
  private final Device device;
  private final DType dtype;
  private final long parameters;
  private final UseGuard guard;

  private Edm2Denoiser(Edm2Config config, Edm2UNet unet, Device device, DType dtype, long parameters, String name) {
    this.config = config;
    this.precond = new EdmPreconditioning(config.sigmaData());
    this.unet = unet;
    this.device = device;
    this.dtype = dtype;
    this.parameters = parameters;
    this.guard = new UseGuard("Edm2Denoiser " + name);
  }

  /** Loads a model directory (or a .safetensors with config.json beside it) onto {@code device}. */
  public static Edm2Denoiser load(Path model, Device device, DType dtype) throws IOException {
    ModelFiles files = ModelFiles.resolve(model);
    ModelConfig mc = files.readConfig();
    Edm2Config c = Edm2Config.from(mc);
    try (SafetensorsFile f = files.openCheckpoint()) {
      Weights host = new Weights(f, Device.cpu(), DType.F32);
      Edm2UNet unet = null;
      try {
        unet = new Edm2UNet(host, c, device, dtype);
        if (host.has("logvar_linear.weight") || host.has("logvar_fourier.freqs")) {
          long channels = host.shapeOf("logvar_linear.weight")[1];
          host.take("logvar_fourier.freqs", channels);
          host.take("logvar_fourier.phases", channels);
          host.take("logvar_linear.weight", 1, channels);
        }
        host.requireAllUsed();
        long params = 0;
        for (String key : f.keys()) {
          if (!key.startsWith("logvar_")) {
            params += Arrays.stream(host.shapeOf(key)).reduce(1, Math::multiplyExact);
          }
        }
        return new Edm2Denoiser(c, unet, device, dtype, params, files.checkpoint().toString());
      } catch (RuntimeException e) {
        if (unet != null) {
          unet.close();
        }
        if (e instanceof IllegalArgumentException) {
          // a layer the config implies cannot exist (heads that do not split the channels)
          throw new org.guidance4j.io.ModelConfigException(files.config().toString(), null, e.getMessage());
        }
        throw e;
      } finally {
        host.closeTensors();
      }
    }
  }

  public Edm2Config config() {
    return config;
  }

  public Device device() {
    return device;
  }

  public DType dtype() {
    return dtype;
  }

  /** Parameters of the denoiser (U-Net and embeddings; not the uncertainty head). */
  public long parameterCount() {
    return parameters;
  }

  /** The self-attention layers by checkpoint key (e.g. "unet.enc.16x16_block0"), in forward order. */
  public java.util.List<String> attentionLayers() {
    return unet.attentionLayers();
  }

  /** EDM2's middle attention: the first decoder block's ("unet.dec.RxR_in0"). */
  public java.util.List<String> middleAttentionLayers() {
    return unet.middleAttentionLayers();
  }

  /**
   * {@link #forward}, with the rows and self-attention layers of {@code perturbation} on the
   * identity attention map (perturbed-attention guidance's perturbed model).
   */
  public Tensor forward(Tensor x, float[] sigmas, long[] labels, PerturbedAttention perturbation) {
    if (perturbation == null) {
      return forward(x, sigmas, labels);
    }
    java.util.List<String> layers = perturbation.resolve(attentionLayers(), middleAttentionLayers());
    return IdentityAttention.during(layers, perturbation.fromRow(), perturbation.toRow(), () -> forward(x, sigmas, labels));
  }

  /**
   * D(x; sigma, labels): x (N, img_channels, R, R) in EDM scaling, one sigma > 0 per sample,
   * labels (N) class indices for a conditional model, or null (EDM2's all-zero class vector; the
   * only choice for an unconditional model). Returns (N, img_channels, R, R) in x's dtype.
   * Thread-safe; fails with an IllegalStateException once the denoiser is closed.
   */
  public Tensor forward(Tensor x, float[] sigmas, long[] labels) {
    return guard.run(() -> forwardOpen(x, sigmas, labels));
  }

  private Tensor forwardOpen(Tensor x, float[] sigmas, long[] labels) {
    checkInputs(x, sigmas, labels);
    if (x.dtype() != dtype) {
      try (Tensor converted = x.to(dtype)) {
        return forwardOpen(converted, sigmas, labels);
      }
    }
    int n = sigmas.length;
    int nf = unet.fourierChannels();
    // Everything the forward takes from the host in one upload (F32): c_in, c_skip, c_out, the
    // Fourier features of c_noise, then the labels (exact as F32); one cast to the network's
    // dtype for all but the labels.
    float[] fourier = unet.fourier(cNoise(sigmas));
    int scalars = 3 * n + n * nf;
    float[] host = new float[scalars + (labels != null ? n : 0)];
    for (int i = 0; i < n; i++) {
      double s = sigmas[i];
      host[i] = (float) precond.cIn(s);
      host[n + i] = (float) precond.cSkip(s);
      host[2 * n + i] = (float) precond.cOut(s);
      if (labels != null) {
        host[scalars + i] = labels[i];
      }
    }
    System.arraycopy(fourier, 0, host, 3 * n, n * nf);
    long[] perSample = {n, 1, x.numel() / n};
    try (Tensor upload = Tensor.fromArray(device, host);
        Tensor cast = dtype == DType.F32 ? null : upload.slice(0, scalars).to(dtype)) {
      Tensor values = cast != null ? cast : upload;
      Tensor in = values.slice(0, n).reshape(n, 1);
      Tensor skip = values.slice(n, 2L * n).reshape(n, 1);
      Tensor out = values.slice(2L * n, 3L * n).reshape(n, 1);
      Tensor features = values.slice(3L * n, scalars).reshape(n, nf);
      Tensor labelIndex = labels != null ? upload.slice(scalars, scalars + n) : null;
      try (Tensor xin = Ops.scaleChannels(x.reshape(perSample), in);
          Tensor f = unet.forward(xin.reshape(x.shape()), features, labelIndex)) {
        Tensor d = Tensor.empty(device, dtype, x.shape());
        try {
          Tensor dv = d.reshape(perSample);
          Tensor fv = f.reshape(perSample);
          Ops.scaleChannelsInto(x.reshape(perSample), skip, dv);
          Ops.scaleChannelsInto(fv, out, fv);
          Ops.addInto(dv, fv, dv);
          return d;
        } catch (RuntimeException e) {
          d.close();
          throw e;
        }
      }
    }
  }

  private double[] cNoise(float[] sigmas) {
    double[] c = new double[sigmas.length];
    for (int i = 0; i < sigmas.length; i++) {
      c[i] = precond.cNoise(sigmas[i]);
    }
    return c;
  }

  private void checkInputs(Tensor x, float[] sigmas, long[] labels) {
    String op = "Edm2Denoiser.forward";
    long[] expected = {x.rank() > 0 ? x.dim(0) : 0, config.imgChannels(), config.imgResolution(), config.imgResolution()};
    if (!Arrays.equals(x.shape(), expected) || x.dim(0) == 0) {
      throw new InvalidArgumentException(op, "x has shape " + Arrays.toString(x.shape()) + ", expected " + Arrays.toString(expected));
    }
    if (sigmas == null || sigmas.length != x.dim(0)) {
      throw new InvalidArgumentException(
          op, (sigmas == null ? "no" : String.valueOf(sigmas.length)) + " sigmas for a batch of " + x.dim(0));
    }
    for (float s : sigmas) {
      if (!(s > 0) || Float.isInfinite(s)) {
        throw new InvalidArgumentException(op, "sigma must be positive and finite, got " + s);
      }
    }
    if (labels == null) {
      return;
    }
    if (config.labelDim() == 0) {
      throw new InvalidArgumentException(op, "this model is unconditional: labels must be null");
    }
    if (labels.length != x.dim(0)) {
      throw new InvalidArgumentException(op, labels.length + " labels for a batch of " + x.dim(0));
    }
    for (long y : labels) {
      if (y < 0 || y >= config.labelDim()) {
        throw new InvalidArgumentException(op, "class " + y + " is outside [0, " + config.labelDim() + ")");
      }
    }
  }

  @Override
  public void close() {
    guard.close(unet::close);
  }
}
