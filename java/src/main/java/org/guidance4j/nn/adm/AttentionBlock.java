package org.guidance4j.nn.adm;

import org.guidance4j.core.Grads;
import org.guidance4j.core.Ops;
import org.guidance4j.core.QkvLayout;
import org.guidance4j.core.Tensor;
import org.guidance4j.nn.Conv2d;
import org.guidance4j.nn.GroupNorm32;
import org.guidance4j.nn.IdentityAttention;
import org.guidance4j.nn.Weights;

/**
 * guided-diffusion's AttentionBlock: x + proj_out(attention(qkv(norm(x)))) over the H*W positions,
 * qkv and proj_out being Conv1d(k=1) run as 1x1 convolutions on the (B, C, H, W) tensor.
 */
final class AttentionBlock implements TimestepBlock {
  private final GroupNorm32 norm;
  private final Conv2d qkv;
  private final Conv2d projOut;
  private final int heads;
  private final QkvLayout layout;
  private final long channels;
  private final String name; // the checkpoint key prefix, e.g. "middle_block.1"

  AttentionBlock(Weights w, String p, long channels, int numHeads, int numHeadChannels, boolean newOrder) {
    this.heads = heads(p, channels, numHeads, numHeadChannels);
    this.norm = GroupNorm32.load(w, p + ".norm", channels);
    this.qkv = Conv2d.loadConv1x1(w, p + ".qkv", channels, 3 * channels);
    this.projOut = Conv2d.loadConv1x1(w, p + ".proj_out", channels, channels);
    this.layout = newOrder ? QkvLayout.NEW_ORDER : QkvLayout.LEGACY;
    this.channels = channels;
    this.name = p;
  }

  String name() {
    return name;
  }

  /** num_head_channels wins when set (!= -1), as in guided-diffusion. */
  static int heads(String where, long channels, int numHeads, int numHeadChannels) {
    if (numHeadChannels == -1) {
      if (numHeads < 1 || channels % numHeads != 0) {
        throw new IllegalArgumentException(
            where + ": " + channels + " channels cannot be split into num_heads " + numHeads);
      }
      return numHeads;
    }
    if (numHeadChannels < 1 || channels % numHeadChannels != 0) {
      throw new IllegalArgumentException(
          where + ": " + channels + " channels are not divisible by num_head_channels " + numHeadChannels);
    }
    return (int) (channels / numHeadChannels);
  }

  @Override
  public long outChannels() {
    return channels;
  }

  @Override
  public Tensor forward(Tensor x, Tensor embSilu) {
    long b = x.dim(0);
    long t = x.numel() / (b * channels);
    try (Tensor n = norm.forward(x, false);
        Tensor q = qkv.forward(n);
        // softmax attention, or V for the rows a perturbed-attention forward perturbs here
        Tensor a = IdentityAttention.attention(q.reshape(b, 3 * channels, t), heads, layout, scale(), name)) {
      return projOut.forward(a.reshape(x.shape()), x);
    }
  }

  /** Ops.attention's default scale, 1 / sqrt(head_dim), computed the same way. */
  private float scale() {
    return (float) (1.0 / Math.sqrt(channels / heads));
  }

  /** The forward pass keeping qkv (the attention's input) for the backward; the norm's input is x. */
  @Override
  public Tensor record(Tensor x, Tensor embSilu, Tape tape) {
    long b = x.dim(0);
    long t = x.numel() / (b * channels);
    long[] shape = x.shape();
    long[] qkvShape = shape.clone();
    qkvShape[1] = 3 * channels;
    Tensor q;
    try (Tensor n = norm.forward(x, false)) {
      q = tape.keep(qkv.forward(n));
    }
    Tensor out;
    try (Tensor a = Ops.attention(q.reshape(b, 3 * channels, t), heads, layout)) {
      out = tape.keep(projOut.forward(a.reshape(shape), x));
    }
    float scale = scale();
    tape.push(dOut -> {
      try (Tensor da = projOut.backwardInput(dOut, shape[2], shape[3]);
          Tensor dq = Grads.attentionBackward(q.reshape(b, 3 * channels, t), heads, layout, scale, da.reshape(b, channels, t));
          Tensor dn = qkv.backwardInput(dq.reshape(qkvShape), shape[2], shape[3]);
          Tensor dx = norm.backward(x, dn, false)) {
        return Ops.add(dx, dOut);
      }
    });
    return out;
  }
}
