package org.guidance4j.nn;

import org.guidance4j.core.Grads;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;

/** guided-diffusion's normalization(): GroupNorm with 32 groups, eps 1e-5, statistics in F32. */
public final class GroupNorm32 {
  static final int GROUPS = 32;
  static final float EPS = 1e-5f;
  private final Tensor gamma;
  private final Tensor beta;

  private GroupNorm32(Tensor gamma, Tensor beta) {
    this.gamma = gamma;
    this.beta = beta;
  }

  public static GroupNorm32 load(Weights w, String prefix, long channels) {
    if (channels % GROUPS != 0) {
      throw new IllegalArgumentException(
          prefix + ": GroupNorm32 needs channels divisible by 32, got " + channels + " (check num_channels)");
    }
    return new GroupNorm32(w.take(prefix + ".weight", channels), w.take(prefix + ".bias", channels));
  }

  /** GroupNorm, then SiLU when {@code silu}. */
  public Tensor forward(Tensor x, boolean silu) {
    return Ops.groupNorm(x, GROUPS, EPS, gamma, beta, silu);
  }

  /** ADM's scale-shift norm: GroupNorm(x) * (1 + scale) + shift, scaleShift = (B, 2C), then SiLU. */
  public Tensor forwardAdaptive(Tensor x, Tensor scaleShift, boolean silu) {
    return Ops.adaptiveGroupNorm(x, GROUPS, EPS, gamma, beta, scaleShift, silu);
  }

  /** {@link #forwardAdaptive} with scale and shift at columns [column, column + 2C) of a wider (B, K) tensor. */
  public Tensor forwardAdaptive(Tensor x, Tensor scaleShiftRows, long column, boolean silu) {
    return Ops.adaptiveGroupNorm(x, GROUPS, EPS, gamma, beta, scaleShiftRows, column, silu);
  }

  /** The gradient with respect to x of {@code forward(x, silu)}, from the output's gradient dy. */
  public Tensor backward(Tensor x, Tensor dy, boolean silu) {
    return Grads.groupNormBackward(x, GROUPS, EPS, gamma, beta, null, silu, dy);
  }

  /** The gradient with respect to x of {@code forwardAdaptive(x, scaleShift, silu)} (none for scaleShift). */
  public Tensor backwardAdaptive(Tensor x, Tensor scaleShift, Tensor dy, boolean silu) {
    return Grads.groupNormBackward(x, GROUPS, EPS, gamma, beta, scaleShift, silu, dy);
  }
}
