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

  /** A layer over tensors the caller owns: weight (out, in), bias (out) or null. */
  public static Linear of(Tensor weight, Tensor bias) {
    return new Linear(weight, bias);
  }

  public static Linear load(Weights w, String prefix, long in, long out) {
    return new Linear(w.take(prefix + ".weight", out, in), w.take(prefix + ".bias", out));
  }

  public Tensor forward(Tensor x) {
    return Ops.linear(x, weight, bias);
  }

  /** x W^T + b, then SiLU when {@code silu}, in one kernel for the few rows of an embedding MLP. */
  public Tensor forwardEmbed(Tensor x, boolean silu) {
    return Ops.embedLinear(x, weight, bias, silu);
  }

  /** {@link #forwardEmbed} plus row index[r] of {@code table} before the SiLU (see Ops.embedLinearPlusRow). */
  public Tensor forwardEmbedPlusRow(Tensor x, Tensor table, Tensor index, boolean silu) {
    return Ops.embedLinearPlusRow(x, weight, bias, table, index, silu);
  }
}
