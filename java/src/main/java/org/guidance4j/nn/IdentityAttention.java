package org.guidance4j.nn;

import java.util.Collection;
import java.util.Set;
import java.util.function.Supplier;
import org.guidance4j.core.Copies;
import org.guidance4j.core.Ops;
import org.guidance4j.core.QkvLayout;
import org.guidance4j.core.Tensor;

/**
 * How a network's forward carries out a {@link PerturbedAttention}: the network resolves the
 * layer names and runs its ordinary forward inside {@link #during}, and each self-attention layer
 * asks {@link #attention} for its output, which is the usual softmax attention for every row but
 * the perturbed ones, and V itself (the identity attention map) for those. The perturbation is
 * held per thread for the duration of one forward, so the layers need no extra argument and a
 * forward on another thread (a guide network on a side stream) is unaffected.
 */
public final class IdentityAttention {
  private IdentityAttention() {}

  private record Scope(Set<String> layers, long from, long to) {}

  private static final ThreadLocal<Scope> CURRENT = new ThreadLocal<>();

  /** Runs {@code forward} with rows [from, to) of the named layers on the identity attention map. */
  public static <T> T during(Collection<String> layers, long from, long to, Supplier<T> forward) {
    Scope previous = CURRENT.get();
    CURRENT.set(new Scope(Set.copyOf(layers), from, to));
    try {
      return forward.get();
    } finally {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    }
  }

  /**
   * The output (B, H*D, T) of the self-attention layer {@code layer} over qkv (B, 3*H*D, T):
   * softmax attention, except for the rows the current {@link #during} perturbs in this layer,
   * which get their value vectors V.
   */
  public static Tensor attention(Tensor qkv, int heads, QkvLayout layout, float scale, String layer) {
    Scope s = CURRENT.get();
    long batch = qkv.dim(0);
    if (s == null || !s.layers().contains(layer) || s.from() >= batch) {
      return Ops.attention(qkv, heads, layout, scale);
    }
    long from = s.from();
    long to = Math.min(s.to(), batch);
    long channels = qkv.dim(1) / 3;
    Tensor out = Tensor.empty(qkv.device(), qkv.dtype(), batch, channels, qkv.dim(2));
    try {
      if (from > 0) {
        Ops.attentionInto(qkv.slice(0, from), heads, layout, scale, out.slice(0, from));
      }
      if (to < batch) {
        Ops.attentionInto(qkv.slice(to, batch), heads, layout, scale, out.slice(to, batch));
      }
      try (Tensor v = values(qkv.slice(from, to), heads, layout)) {
        out.slice(from, to).copyFrom(v.reshape(to - from, channels, qkv.dim(2)));
      }
      return out;
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
  }

  /** V of every head, (n, H*D*T) in the attention output's channel order h*D + c. */
  static Tensor values(Tensor qkv, int heads, QkvLayout layout) {
    long n = qkv.dim(0);
    long channels = qkv.dim(1) / 3;
    long tokens = qkv.dim(2);
    long headDim = channels / heads;
    return switch (layout) {
      // (n, [q | k | v], T): the last third of each sample
      case NEW_ORDER -> Copies.columns(qkv.reshape(n, 3 * channels * tokens), 2 * channels * tokens, 3 * channels * tokens);
      // (n, H, [q | k | v] of D channels, T): the last third of each head
      case LEGACY -> Copies.columns(qkv.reshape(n * heads, 3 * headDim * tokens), 2 * headDim * tokens, 3 * headDim * tokens);
      // (n, H, D, 3, T): the last of the three rows of T per channel
      case EDM2 -> Copies.columns(qkv.reshape(n * channels, 3 * tokens), 2 * tokens, 3 * tokens);
    };
  }
}
