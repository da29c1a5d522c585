package org.guidance4j.bench;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.guidance4j.nn.adm.AdmConfig;

/**
 * The parameters (checkpoint key -> shape) of guided-diffusion's UNetModel for a config, in the
 * original's registration order, and the multiply-add count of one forward per image. AdmUNet.load
 * checks the keys (all present, all used, every shape), so a slip here fails at setup.
 *
 * <p>FLOPs count 2 per multiply-add of the convolutions, linear layers and attention products
 * (qkv / proj_out 1x1 convs, q k^T and attn v); norms, SiLU and additions are left out (they are
 * memory-bound and below 1% of the total).
 */
final class AdmWalk {
  final Map<String, long[]> params = new LinkedHashMap<>();
  private double flops;
  private final AdmConfig c;
  private final long embDim;

  private AdmWalk(AdmConfig c) {
    this.c = c;
    this.embDim = 4L * c.modelChannels();
  }

  static AdmWalk of(AdmConfig c) {
    AdmWalk w = new AdmWalk(c);
    w.walk();
    return w;
  }

  /** Multiply-adds x 2 of one image's forward. */
  double flopsPerImage() {
    return flops;
  }

  long parameterCount() {
    long n = 0;
    for (long[] s : params.values()) {
      n += Bench.numel(s);
    }
    return n;
  }

  private void walk() {
    long mc = c.modelChannels();
    linear("time_embed.0", mc, embDim);
    linear("time_embed.2", embDim, embDim);
    if (c.classConditional()) {
      params.put("label_emb.weight", new long[] {c.labelRows(), embDim});
    }
    List<Double> mult = c.channelMult();
    long res = c.imageSize();
    long ch = (long) (mult.getFirst() * mc);
    conv("input_blocks.0.0", c.inChannels(), ch, 3, res);
    Deque<Long> skips = new ArrayDeque<>();
    skips.add(ch);
    int ds = 1;
    int block = 1;
    for (int level = 0; level < mult.size(); level++) {
      for (int i = 0; i < c.numResBlocks(); i++, block++) {
        long out = (long) (mult.get(level) * mc);
        resBlock("input_blocks." + block + ".0", ch, out, res, res);
        ch = out;
        if (c.attentionDs().contains(ds)) {
          attention("input_blocks." + block + ".1", ch, res);
        }
        skips.add(ch);
      }
      if (level != mult.size() - 1) {
        String p = "input_blocks." + block + ".0";
        if (c.resblockUpdown()) {
          resBlock(p, ch, ch, res, res / 2);
        } else if (c.convResample()) {
          convStrided(p + ".op", ch, ch, 3, 2, res);
        }
        block++;
        skips.add(ch);
        ds *= 2;
        res /= 2;
      }
    }
    resBlock("middle_block.0", ch, ch, res, res);
    attention("middle_block.1", ch, res);
    resBlock("middle_block.2", ch, ch, res, res);
    block = 0;
    for (int level = mult.size() - 1; level >= 0; level--) {
      for (int i = 0; i <= c.numResBlocks(); i++, block++) {
        String p = "output_blocks." + block;
        long out = (long) (mult.get(level) * mc);
        resBlock(p + ".0", ch + skips.removeLast(), out, res, res);
        ch = out;
        int layer = 1;
        if (c.attentionDs().contains(ds)) {
          attention(p + "." + layer++, ch, res);
        }
        if (level > 0 && i == c.numResBlocks()) {
          if (c.resblockUpdown()) {
            resBlock(p + "." + layer, ch, ch, res, res * 2);
          } else if (c.convResample()) {
            conv(p + "." + layer + ".conv", ch, ch, 3, res * 2);
          }
          ds /= 2;
          res *= 2;
        }
      }
    }
    norm("out.0", ch);
    conv("out.2", ch, c.outChannels(), 3, res);
  }

  /** in_res: the block's input; out_res: after its up/down resampling (the convs run there). */
  private void resBlock(String p, long in, long out, long inRes, long outRes) {
    norm(p + ".in_layers.0", in);
    conv(p + ".in_layers.2", in, out, 3, outRes);
    linear(p + ".emb_layers.1", embDim, c.useScaleShiftNorm() ? 2 * out : out);
    norm(p + ".out_layers.0", out);
    conv(p + ".out_layers.3", out, out, 3, outRes);
    if (in != out) {
      conv(p + ".skip_connection", in, out, 1, outRes);
    }
  }

  private void attention(String p, long ch, long res) {
    long tokens = res * res;
    norm(p + ".norm", ch);
    conv1d(p + ".qkv", ch, 3 * ch, tokens);
    conv1d(p + ".proj_out", ch, ch, tokens);
    // q k^T and attn v: tokens^2 x head_dim multiply-adds each, summed over heads (heads x head_dim = ch)
    flops += 2.0 * 2.0 * tokens * tokens * ch;
  }

  private void norm(String p, long ch) {
    params.put(p + ".weight", new long[] {ch});
    params.put(p + ".bias", new long[] {ch});
  }

  private void linear(String p, long in, long out) {
    params.put(p + ".weight", new long[] {out, in});
    params.put(p + ".bias", new long[] {out});
    flops += 2.0 * in * out;
  }

  /** A stride-1 "same" conv whose output is res x res. */
  private void conv(String p, long in, long out, int k, long res) {
    params.put(p + ".weight", new long[] {out, in, k, k});
    params.put(p + ".bias", new long[] {out});
    flops += 2.0 * in * out * k * k * res * res;
  }

  private void convStrided(String p, long in, long out, int k, int stride, long inRes) {
    long res = inRes / stride;
    params.put(p + ".weight", new long[] {out, in, k, k});
    params.put(p + ".bias", new long[] {out});
    flops += 2.0 * in * out * k * k * res * res;
  }

  private void conv1d(String p, long in, long out, long tokens) {
    params.put(p + ".weight", new long[] {out, in, 1});
    params.put(p + ".bias", new long[] {out});
    flops += 2.0 * in * out * tokens;
  }
}
