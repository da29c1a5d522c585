package org.guidance4j.nn.adm;

import org.guidance4j.core.Ops;
import org.guidance4j.core.QkvLayout;
import org.guidance4j.core.Tensor;
import org.guidance4j.nn.Conv2d;
import org.guidance4j.nn.GroupNorm32;
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

  AttentionBlock(Weights w, String p, long channels, int numHeads, int numHeadChannels, boolean newOrder) {
    this.heads = heads(p, channels, numHeads, numHeadChannels);
    this.norm = GroupNorm32.load(w, p + ".norm", channels);
    this.qkv = Conv2d.loadConv1x1(w, p + ".qkv", channels, 3 * channels);
    this.projOut = Conv2d.loadConv1x1(w, p + ".proj_out", channels, channels);
    this.layout = newOrder ? QkvLayout.NEW_ORDER : QkvLayout.LEGACY;
    this.channels = channels;
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
        Tensor a = Ops.attention(q.reshape(b, 3 * channels, t), heads, layout)) {
      return projOut.forward(a.reshape(x.shape()), x);
    }
  }
}
