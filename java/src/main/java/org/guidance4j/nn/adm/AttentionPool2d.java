package org.guidance4j.nn.adm;

import org.guidance4j.core.Copies;
import org.guidance4j.core.Grads;
import org.guidance4j.core.Ops;
import org.guidance4j.core.QkvLayout;
import org.guidance4j.core.Tensor;
import org.guidance4j.nn.Conv2d;
import org.guidance4j.nn.Weights;

/**
 * The classifier head (CLIP-style attention pooling): the spatial mean joins the H*W positions as
 * token 0, a positional embedding is added, multi-head attention in the q|k|v-first layout runs
 * over the T + 1 tokens, and c_proj of token 0's output is the logits.
 */
final class AttentionPool2d {
  private final Tensor positional; // (C, T + 1)
  private final Conv2d qkvProj;
  private final Conv2d cProj;
  private final int heads;
  private final long channels;
  private final long tokens; // T + 1

  AttentionPool2d(Weights w, String p, long spatial, long channels, int headChannels, long outDim) {
    this.tokens = spatial * spatial + 1;
    this.channels = channels;
    this.positional = w.take(p + ".positional_embedding", channels, tokens);
    this.qkvProj = Conv2d.loadConv1x1(w, p + ".qkv_proj", channels, 3 * channels);
    this.cProj = Conv2d.loadConv1x1(w, p + ".c_proj", channels, outDim);
    this.heads = AttentionBlock.heads(p, channels, 1, headChannels);
  }

  /** x (B, C, H, W) -> logits (B, out). */
  Tensor forward(Tensor x) {
    try (Tensor qkv = qkvOf(x)) {
      return logitsOf(qkv, x);
    }
  }

  /** The pooled sequence (mean token first, plus the positional embedding) through qkv_proj: (B, 3C, T + 1, 1). */
  private Tensor qkvOf(Tensor x) {
    long b = x.dim(0);
    long t = tokens - 1;
    if (x.numel() != b * channels * t) {
      throw new IllegalArgumentException(
          "AttentionPool2d: expected " + channels + " x " + t + " features per sample, got shape "
              + java.util.Arrays.toString(x.shape()));
    }
    Tensor rows = x.reshape(b * channels, t);
    try (Tensor ones = Ops.fill(Tensor.empty(x.device(), x.dtype(), t, 1), 1f);
        Tensor mean = Ops.gemm(false, false, 1f / t, rows, ones, 0f, Tensor.empty(x.device(), x.dtype(), b * channels, 1));
        Tensor seq = Ops.concatChannels(mean, rows)) {
      for (long i = 0; i < b; i++) {
        Tensor sample = seq.slice(i * channels, (i + 1) * channels);
        Ops.axpbyInto(1f, sample, 1f, positional, sample);
      }
      return qkvProj.forward(seq.reshape(b, channels, tokens, 1));
    }
  }

  /** Attention over the tokens, c_proj, token 0: logits (B, out). */
  private Tensor logitsOf(Tensor qkv, Tensor x) {
    long b = x.dim(0);
    try (Tensor a = Ops.attention(qkv.reshape(b, 3 * channels, tokens), heads, QkvLayout.NEW_ORDER);
        Tensor proj = cProj.forward(a.reshape(b, channels, tokens, 1))) {
      long out = proj.dim(1);
      try (Tensor first = Copies.columns(proj.reshape(b * out, tokens), 0, 1)) {
        return first.reshape(b, out).copyTo(x.device());
      }
    }
  }

  /**
   * forward(x), keeping qkv for the backward, whose step takes the logits' gradient (B, out) and
   * returns x's: token 0's gradient is scattered into zeros for c_proj, back through attention and
   * qkv_proj; the positional embedding passes it unchanged; the mean token's share is spread as
   * 1 / T over the positions it averaged and added to their own gradients.
   */
  Tensor record(Tensor x, Tape tape) {
    long b = x.dim(0);
    long t = tokens - 1;
    long[] shape = x.shape();
    Tensor qkv = tape.keep(qkvOf(x));
    Tensor logits = tape.keep(logitsOf(qkv, x));
    long out = logits.dim(1);
    float scale = (float) (1.0 / Math.sqrt(channels / heads));
    tape.push(dLogits -> {
      Tensor rowsGrad;
      try (Tensor rest = Tensor.zeros(x.device(), x.dtype(), b * out, tokens - 1);
          Tensor dProj = Ops.concatChannels(dLogits.reshape(b * out, 1), rest);
          Tensor da = cProj.backwardInput(dProj.reshape(b, out, tokens, 1), tokens, 1);
          Tensor dqkv =
              Grads.attentionBackward(
                  qkv.reshape(b, 3 * channels, tokens), heads, QkvLayout.NEW_ORDER, scale, da.reshape(b, channels, tokens));
          Tensor dSeq = qkvProj.backwardInput(dqkv.reshape(b, 3 * channels, tokens, 1), tokens, 1);
          Tensor dMean = Copies.columns(dSeq.reshape(b * channels, tokens), 0, 1);
          Tensor onesRow = Ops.fill(Tensor.empty(x.device(), x.dtype(), 1, t), 1f)) {
        rowsGrad = Copies.columns(dSeq.reshape(b * channels, tokens), 1, tokens);
        try {
          Ops.gemm(false, false, 1f / t, dMean, onesRow, 1f, rowsGrad);
        } catch (RuntimeException e) {
          rowsGrad.close();
          throw e;
        }
      }
      try (rowsGrad) {
        return rowsGrad.reshape(shape).copyTo(x.device()); // an owning tensor of x's shape
      }
    });
    return logits;
  }
}
