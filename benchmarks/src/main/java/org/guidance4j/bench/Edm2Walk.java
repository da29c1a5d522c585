package org.guidance4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.guidance4j.nn.edm2.Edm2Config;

/**
 * The parameters (checkpoint key -> shape) of EDM2's Precond for a config, without the logvar head
 * (the loader accepts its absence), and the multiply-add count of one forward per image.
 * Edm2Denoiser.load checks the keys (all present, all used, every shape), so a slip here fails at
 * setup.
 *
 * <p>FLOPs count 2 per multiply-add of the convolutions (3x3, the 1x1 skips, attention's qkv and
 * proj), the embedding linears and attention's q k^T and attn v; normalisations, SiLU, resampling
 * and additions are left out (memory-bound), as {@link AdmWalk} does for ADM.
 */
final class Edm2Walk {
  final Map<String, long[]> params = new LinkedHashMap<>();
  private double flops;
  private final Edm2Config c;

  private Edm2Walk(Edm2Config c) {
    this.c = c;
  }

  static Edm2Walk of(Edm2Config c) {
    Edm2Walk w = new Edm2Walk(c);
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
    String p = "unet.";
    List<Long> cblock = c.blockChannels();
    long cnoise = c.noiseChannels();
    long cemb = c.embChannels();
    params.put(p + "emb_fourier.freqs", new long[] {cnoise});
    params.put(p + "emb_fourier.phases", new long[] {cnoise});
    linear(p + "emb_noise", cnoise, cemb);
    if (c.labelDim() > 0) {
      linear(p + "emb_label", c.labelDim(), cemb);
    }
    params.put(p + "out_gain", new long[] {});
    long cout = c.imgChannels() + 1;
    List<Long> skips = new ArrayList<>();
    for (int level = 0; level < cblock.size(); level++) {
      long res = c.imgResolution() >> level;
      String r = p + "enc." + res + "x" + res;
      if (level == 0) {
        conv(r + "_conv", cout, cblock.get(0), 3, res);
        cout = cblock.get(0);
      } else {
        block(r + "_down", cout, cout, res, true, false);
      }
      skips.add(cout);
      for (int i = 0; i < c.numBlocks(); i++) {
        long cin = cout;
        cout = cblock.get(level);
        block(r + "_block" + i, cin, cout, res, true, c.attnResolutions().contains((int) res));
        skips.add(cout);
      }
    }
    for (int level = cblock.size() - 1; level >= 0; level--) {
      long res = c.imgResolution() >> level;
      String r = p + "dec." + res + "x" + res;
      if (level == cblock.size() - 1) {
        block(r + "_in0", cout, cout, res, false, true);
        block(r + "_in1", cout, cout, res, false, false);
      } else {
        block(r + "_up", cout, cout, res, false, false);
      }
      for (int i = 0; i <= c.numBlocks(); i++) {
        long cin = cout + skips.removeLast();
        cout = cblock.get(level);
        block(r + "_block" + i, cin, cout, res, false, c.attnResolutions().contains((int) res));
      }
    }
    conv(p + "out_conv", cout, c.imgChannels(), 3, c.imgResolution());
  }

  /** res: where the block's convolutions run (after its down/up-sampling). */
  private void block(String p, long in, long out, long res, boolean enc, boolean attention) {
    params.put(p + ".emb_gain", new long[] {});
    conv(p + ".conv_res0", enc ? out : in, out, 3, res);
    linear(p + ".emb_linear", c.embChannels(), out);
    conv(p + ".conv_res1", out, out, 3, res);
    if (in != out) {
      conv(p + ".conv_skip", in, out, 1, res);
    }
    // as in EDM2, a block narrower than one head has no attention
    if (attention && out / c.channelsPerHead() > 0) {
      long tokens = res * res;
      conv(p + ".attn_qkv", out, 3 * out, 1, res);
      conv(p + ".attn_proj", out, out, 1, res);
      // q k^T and attn v: tokens^2 x head_dim multiply-adds each, summed over heads (heads x head_dim = out)
      flops += 2.0 * 2.0 * tokens * tokens * out;
    }
  }

  private void linear(String p, long in, long out) {
    params.put(p + ".weight", new long[] {out, in});
    flops += 2.0 * in * out;
  }

  private void conv(String p, long in, long out, int k, long res) {
    params.put(p + ".weight", new long[] {out, in, k, k});
    flops += 2.0 * in * out * k * k * res * res;
  }
}
