package org.guidance4j.nn;

import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;

/** torch.nn.Linear: y = x W^T + b. */
public final class Linear {
  private final Tensor weight; // (out, in)
  private final Tensor bias; // (out)

  private Linear(Tensor weight, Tensor bias) {
    this.weight = weight;
    this.bias = bias;
  }

  public static Linear load(Weights w, String prefix, long in, long out) {
    return new Linear(w.take(prefix + ".weight", out, in), w.take(prefix + ".bias", out));
  }

  public Tensor forward(Tensor x) {
    return Ops.linear(x, weight, bias);
  }
}
