package org.guidance4j.nn.edm2;

import java.util.ArrayList;
import java.util.List;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Ops;
import org.guidance4j.core.QkvLayout;
import org.guidance4j.core.Tensor;
import org.guidance4j.nn.IdentityAttention;
import org.guidance4j.nn.Weights;

/**
 * EDM2's U-Net block (Figure 21 of the paper), fields named like its checkpoint keys:
 *
 * <pre>
 *   x = resample(x)                                         (down: 2x2 box; up: nearest)
 *   enc: x = pixel_norm(conv_skip(x))                       (conv_skip when widths differ)
 *   y = conv_res1(mp_silu(conv_res0(mp_silu(x)) * (1 + emb_linear(emb, gain = emb_gain))))
 *   dec: x = conv_skip(x)
 *   x = mp_sum(x, y, res_balance)
 *   attention: x = mp_sum(x, attn_proj(cosine_attention(attn_qkv(x))), attn_balance)
 *   x = clamp(x, -clip_act, clip_act)
 * </pre>
 *
 * The 1 / 0.596 of every mp_silu is folded into the weights of the layer that reads it.
 */
final class Block implements AutoCloseable {
  static final double SILU_GAIN = 1 / 0.596;

  enum Flavor { ENC, DEC }

  enum Resample { KEEP, UP, DOWN }

  private final Flavor flavor;
  private final Resample resample;
  private final MPConv convRes0; // conv_res0
  private final long embColumn; // emb_linear (gain emb_gain): its columns in the U-Net's EmbScales
  private final MPConv convRes1; // conv_res1
  private final MPConv convSkip; // conv_skip or null
  private final MPConv attnQkv; // attn_qkv or null
  private final MPConv attnProj; // attn_proj or null
  private final int heads;
  private final double resBalance;
  private final double attnBalance;
  private final Double clipAct;
  private final long outChannels;
  private final String name; // the checkpoint key prefix, e.g. "unet.enc.16x16_block0"
  private final List<AutoCloseable> owned = new ArrayList<>();

  Block(
      Weights w, String p, long in, long out, long emb, Flavor flavor, Resample resample, boolean attention,
      Edm2Config c, EmbScales scales, Device device, DType dtype) {
    this.flavor = flavor;
    this.resample = resample;
    this.outChannels = out;
    this.name = p;
    double embGain = w.take(p + ".emb_gain").toFloatArray()[0];
    this.convRes0 = own(MPConv.load(w, p + ".conv_res0.weight", out, flavor == Flavor.ENC ? out : in, 3, 1, SILU_GAIN, device, dtype));
    // emb arrives as silu(emb): the U-Net's mp_silu gain is folded in here
    this.embColumn = scales.add(MPConv.normalised(w, p + ".emb_linear.weight", new long[] {out, emb}, embGain, SILU_GAIN));
    this.convRes1 = own(MPConv.load(w, p + ".conv_res1.weight", out, out, 3, 1, SILU_GAIN, device, dtype));
    this.convSkip = in != out ? own(MPConv.load(w, p + ".conv_skip.weight", out, in, 1, 1, 1, device, dtype)) : null;
    // as in EDM2, a block narrower than one head has no attention (and no attn_* weights)
    this.heads = attention ? Math.toIntExact(out / c.channelsPerHead()) : 0;
    if (heads > 0 && out % heads != 0) {
      throw new IllegalArgumentException(
          p + ": " + out + " channels do not split into heads of channels_per_head " + c.channelsPerHead());
    }
    this.attnQkv = heads > 0 ? own(MPConv.load(w, p + ".attn_qkv.weight", 3 * out, out, 1, 1, 1, device, dtype)) : null;
    this.attnProj = heads > 0 ? own(MPConv.load(w, p + ".attn_proj.weight", out, out, 1, 1, 1, device, dtype)) : null;
    this.resBalance = c.resBalance();
    this.attnBalance = c.attnBalance();
    this.clipAct = c.clipAct();
  }

  private MPConv own(MPConv m) {
    owned.add(m);
    return m;
  }

  long outChannels() {
    return outChannels;
  }

  String name() {
    return name;
  }

  /** Whether the block has self-attention (EDM2 drops it where the block is narrower than one head). */
  boolean hasAttention() {
    return heads > 0;
  }

  /**
   * x (B, in, H, W) -> (B, out, H', W'); embScales: every block's 1 + emb_linear(emb) side by
   * side (EmbScales.forward); xSilu = silu(x) when the caller made it in the same pass as x
   * (mp_cat), else null.
   */
  Tensor forward(Tensor x, Tensor xSilu, Tensor embScales) {
    Tensor main = switch (resample) {
      case KEEP -> x;
      case DOWN -> Ops.avgPool2x2(x);
      case UP -> Ops.upsampleNearest2x(x);
    };
    Tensor act = null; // silu(main), when made here
    try {
      if (flavor == Flavor.ENC) {
        if (convSkip != null) {
          Tensor skipped = convSkip.forward(main);
          release(main, x);
          main = skipped;
        }
        // pixel norm and the residual branch's first mp_silu in one pass
        Tensor normed = main == x ? Tensor.empty(x.device(), x.dtype(), x.shape()) : main;
        act = Tensor.empty(main.device(), main.dtype(), main.shape());
        try {
          Ops.normalizeSiluInto(main, 1, (float) MPConv.EPS, normed, act);
        } catch (RuntimeException e) {
          release(normed, main);
          throw e;
        }
        main = normed;
      } else if (xSilu == null || main != x) {
        act = Ops.silu(main);
      }
      Tensor y;
      try (Tensor owned = act) {
        y = residual(act != null ? act : xSilu, embScales);
      }
      act = null;
      if (flavor == Flavor.DEC && convSkip != null) {
        Tensor skipped = convSkip.forward(main);
        release(main, x);
        main = skipped;
      }
      Tensor out;
      try (y) {
        out = mpSum(main, y, resBalance, heads > 0 ? null : clipAct);
      }
      release(main, x);
      main = null;
      if (heads > 0) {
        try (Tensor sum = out) {
          out = attention(sum);
        }
      }
      return out;
    } catch (RuntimeException e) {
      release(main, x);
      if (act != null) {
        act.close();
      }
      throw e;
    }
  }

  /** conv_res1(mp_silu(conv_res0(a) * (1 + emb_linear(emb)))) for a = mp_silu(x). */
  private Tensor residual(Tensor a, Tensor embScales) {
    try (Tensor h = convRes0.forward(a)) {
      Ops.concatScaleInto(h, null, embScales, embColumn, null, h); // h = silu(h * c), one pass
      return convRes1.forward(h);
    }
  }

  /** mp_sum(x, attn_proj(attention(normalised q, k, v)), attn_balance), then clip_act. */
  private Tensor attention(Tensor x) {
    long b = x.dim(0);
    long t = x.dim(2) * x.dim(3);
    long headDim = outChannels / heads;
    try (Tensor qkv = attnQkv.forward(x)) {
      // (B, heads * headDim * 3, T): q, k and v normalised over each head's channels
      Tensor view = qkv.reshape(b, heads, headDim, 3, t);
      Ops.normalizeInto(view, 2, (float) MPConv.EPS, view);
      // softmax attention, or V for the rows a perturbed-attention forward perturbs here
      try (Tensor a =
              IdentityAttention.attention(
                  qkv.reshape(b, 3 * outChannels, t), heads, QkvLayout.EDM2, (float) (1 / Math.sqrt(headDim)), name);
          Tensor y = attnProj.forward(a.reshape(x.shape()))) {
        return mpSum(x, y, attnBalance, clipAct);
      }
    }
  }

  /** ((1 - t) a + t b) / sqrt((1 - t)^2 + t^2), clamped to [-clip, clip] when clip is not null. */
  static Tensor mpSum(Tensor a, Tensor b, double t, Double clip) {
    double norm = Math.sqrt((1 - t) * (1 - t) + t * t);
    float wa = (float) ((1 - t) / norm);
    float wb = (float) (t / norm);
    if (clip == null) {
      return Ops.axpby(wa, a, wb, b);
    }
    float c = clip.floatValue();
    return Ops.axpbyClamp(wa, a, wb, b, -c, c);
  }

  /** Closes an intermediate unless it is the caller's input. */
  private static void release(Tensor t, Tensor input) {
    if (t != null && t != input) {
      t.close();
    }
  }

  @Override
  public void close() {
    for (AutoCloseable c : owned) {
      try {
        c.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
