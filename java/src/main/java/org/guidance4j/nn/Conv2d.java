package org.guidance4j.nn;

import org.guidance4j.core.Grads;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;

/** torch.nn.Conv2d (and Conv1d with kernel 1, viewed as 1x1) with zero padding and a bias. */
public final class Conv2d {
  private final Tensor weight; // (out, in, k, k)
  private final Tensor bias; // (out)
  private final int stride;
  private final int padding;

  private Conv2d(Tensor weight, Tensor bias, int stride, int padding) {
    this.weight = weight;
    this.bias = bias;
    this.stride = stride;
    this.padding = padding;
  }

  /** {@code prefix.weight} (out, in, k, k) and {@code prefix.bias} (out). */
  public static Conv2d load(Weights w, String prefix, long in, long out, int kernel, int stride, int padding) {
    Tensor weight = w.take(prefix + ".weight", out, in, kernel, kernel);
    return new Conv2d(weight, w.take(prefix + ".bias", out), stride, padding);
  }

  /** A Conv1d of kernel size 1 ({@code prefix.weight} (out, in, 1)) used as a 1x1 Conv2d. */
  public static Conv2d loadConv1x1(Weights w, String prefix, long in, long out) {
    Tensor weight = w.take(prefix + ".weight", out, in, 1).reshape(out, in, 1, 1);
    return new Conv2d(weight, w.take(prefix + ".bias", out), 1, 0);
  }

  public long outChannels() {
    return weight.dim(0);
  }

  public Tensor forward(Tensor x) {
    return Ops.conv2d(x, weight, bias, stride, padding);
  }

  /** conv(x) + residual, the residual added in the kernel's epilogue. */
  public Tensor forward(Tensor x, Tensor residual) {
    return Ops.conv2d(x, weight, bias, residual, stride, padding);
  }

  /** The gradient with respect to the input (height x width) of forward, from the output's gradient dy. */
  public Tensor backwardInput(Tensor dy, long height, long width) {
    return Grads.conv2dBackwardInput(dy, weight, stride, padding, height, width);
  }
}
