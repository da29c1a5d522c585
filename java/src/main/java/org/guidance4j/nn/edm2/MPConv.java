package org.guidance4j.nn.edm2;

import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.nn.Weights;

/**
 * EDM2's magnitude-preserving convolution or linear layer (no bias). Its weight is normalised
 * once, at load, on the CPU in double, exactly as EDM2's forward does at inference:
 * {@code W' = W_o / (1e-4 + ||W_o|| / sqrt(fan_in)) * gain / sqrt(fan_in)} per output channel o.
 * A constant factor that always precedes the layer (the 1 / 0.596 of mp_silu) is folded in too.
 */
final class MPConv implements AutoCloseable {
  static final double EPS = 1e-4;
  private final Tensor weight; // (out, in, k, k) or (out, in); owned
  private final int kernel; // 0: linear

  private MPConv(Tensor weight, int kernel) {
    this.weight = weight;
    this.kernel = kernel;
  }

  /**
   * {@code key} (out, in, k, k), or (out, in) when kernel is 0, read from host weights, scaled by
   * gain * inputScale, uploaded to {@code device} in {@code dtype}.
   */
  static MPConv load(
      Weights host, String key, long out, long in, int kernel, double gain, double inputScale, Device device, DType dtype) {
    long[] shape = kernel == 0 ? new long[] {out, in} : new long[] {out, in, kernel, kernel};
    return new MPConv(upload(normalised(host, key, shape, gain, inputScale), device, dtype, shape), kernel);
  }

  /** {@code key} of {@code shape} (out first) normalised and scaled as {@link #load} does, on the host. */
  static float[] normalised(Weights host, String key, long[] shape, double gain, double inputScale) {
    long out = shape[0];
    float[] w = host.take(key, shape).toFloatArray();
    int fanIn = Math.toIntExact(w.length / out);
    double scale = gain * inputScale / Math.sqrt(fanIn);
    float[] normalised = new float[w.length];
    for (int o = 0; o < out; o++) {
      double sum = 0;
      for (int i = o * fanIn; i < (o + 1) * fanIn; i++) {
        sum += (double) w[i] * w[i];
      }
      double f = scale / (EPS + Math.sqrt(sum) / Math.sqrt(fanIn));
      for (int i = o * fanIn; i < (o + 1) * fanIn; i++) {
        normalised[i] = (float) (w[i] * f);
      }
    }
    return normalised;
  }

  /** A host array as a tensor of {@code dtype} on {@code device}. */
  static Tensor upload(float[] data, Device device, DType dtype, long... shape) {
    Tensor f32 = Tensor.fromArray(device, data, shape);
    if (dtype == DType.F32) {
      return f32;
    }
    try (f32) {
      return f32.to(dtype);
    }
  }

  long outChannels() {
    return weight.dim(0);
  }

  /** Convolution with same padding (odd k), or x (N, in) W'^T for a linear layer. */
  Tensor forward(Tensor x) {
    return kernel == 0 ? Ops.linear(x, weight, null) : Ops.conv2d(x, weight, null, 1, kernel / 2);
  }

  /** x W'^T + bias (linear layers only). */
  Tensor forward(Tensor x, Tensor bias) {
    return Ops.linear(x, weight, bias);
  }

  /** x W'^T, then SiLU when {@code silu}, for the few rows of the embedding (one kernel). */
  Tensor forwardEmbed(Tensor x, boolean silu) {
    return Ops.embedLinear(x, weight, null, silu);
  }

  /**
   * x W'^T plus column index[r] of {@code oneHot}'s weight, then SiLU when {@code silu}: this
   * layer plus {@code oneHot} applied to a one-hot input (index: F32 class indices), in one kernel.
   */
  Tensor forwardEmbedPlusOneHot(Tensor x, MPConv oneHot, Tensor index, boolean silu) {
    return Ops.embedLinearPlusColumn(x, weight, null, oneHot.weight, index, silu);
  }

  @Override
  public void close() {
    weight.close();
  }
}
