package org.guidance4j.nn.adm;

import org.guidance4j.core.Grads;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.nn.Conv2d;
import org.guidance4j.nn.Weights;

/** guided-diffusion's Downsample (stride-2 conv `op` or 2x2 average pool) and Upsample (nearest x2, then `conv`). */
final class Resample implements TimestepBlock {
  private final boolean up;
  private final Conv2d conv; // null: parameter-free
  private final long channels;

  private Resample(boolean up, Conv2d conv, long channels) {
    this.up = up;
    this.conv = conv;
    this.channels = channels;
  }

  static Resample down(Weights w, String p, long channels, boolean useConv) {
    return new Resample(false, useConv ? Conv2d.load(w, p + ".op", channels, channels, 3, 2, 1) : null, channels);
  }

  static Resample up(Weights w, String p, long channels, boolean useConv) {
    return new Resample(true, useConv ? Conv2d.load(w, p + ".conv", channels, channels, 3, 1, 1) : null, channels);
  }

  @Override
  public long outChannels() {
    return channels;
  }

  @Override
  public Tensor forward(Tensor x, Tensor embSilu) {
    if (!up) {
      return conv != null ? conv.forward(x) : Ops.avgPool2x2(x);
    }
    Tensor u = Ops.upsampleNearest2x(x);
    if (conv == null) {
      return u;
    }
    try (u) {
      return conv.forward(u);
    }
  }

  @Override
  public Tensor record(Tensor x, Tensor embSilu, Tape tape) {
    if (up) {
      throw new UnsupportedOperationException("Upsample has no backward pass (the classifier never up-samples)");
    }
    long h = x.dim(2);
    long w = x.dim(3);
    Tensor out = tape.keep(forward(x, embSilu));
    tape.push(dy -> conv != null ? conv.backwardInput(dy, h, w) : Grads.avgPool2x2Backward(dy, h, w));
    return out;
  }
}
