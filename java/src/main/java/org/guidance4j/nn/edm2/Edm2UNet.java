package org.guidance4j.nn.edm2;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.nn.Weights;

/**
 * EDM2's U-Net F(x; c_noise, class) (keys under {@code unet.}): Fourier noise features and a
 * one-hot class through magnitude-preserving linears into one embedding, an encoder of Blocks
 * (named {@code enc.RxR_conv / _down / _blockI}) whose every output is a skip, a decoder
 * ({@code dec.RxR_in0 / _in1 / _up / _blockI}) joining the skips by mp_cat, and out_conv.
 */
final class Edm2UNet implements AutoCloseable {
  private record Named(String name, Block block) {}

  private final Edm2Config config;
  private final Device device;
  private final DType dtype;
  private final double[] freqs; // emb_fourier.freqs
  private final double[] phases; // emb_fourier.phases
  private final MPConv embNoise; // emb_noise
  private final MPConv embLabel; // emb_label or null
  private final MPConv encConv; // enc.RxR_conv
  private final List<Named> enc = new ArrayList<>();
  private final List<Named> dec = new ArrayList<>();
  private final List<Tensor> catScales = new ArrayList<>(); // per dec block: mp_cat's channel factors, or null
  private final MPConv outConv; // out_conv (gain out_gain)
  private final EmbScales embScales; // every block's emb_linear, joined

  Edm2UNet(Weights w, Edm2Config c, Device device, DType dtype) {
    this.config = c;
    this.device = device;
    this.dtype = dtype;
    String p = "unet.";
    List<Long> cblock = c.blockChannels();
    long cnoise = c.noiseChannels();
    long cemb = c.embChannels();
    this.freqs = doubles(w.take(p + "emb_fourier.freqs", cnoise).toFloatArray());
    this.phases = doubles(w.take(p + "emb_fourier.phases", cnoise).toFloatArray());
    double balance = Math.sqrt(Math.pow(1 - c.labelBalance(), 2) + Math.pow(c.labelBalance(), 2));
    if (c.labelDim() > 0) {
      // mp_sum(noise, label, t) folded into the two linears; the label input is sqrt(label_dim) one-hot
      this.embNoise = MPConv.load(w, p + "emb_noise.weight", cemb, cnoise, 0, (1 - c.labelBalance()) / balance, 1, device, dtype);
      this.embLabel = MPConv.load(w, p + "emb_label.weight", cemb, c.labelDim(), 0, c.labelBalance() / balance, Math.sqrt(c.labelDim()), device, dtype);
    } else {
      this.embNoise = MPConv.load(w, p + "emb_noise.weight", cemb, cnoise, 0, 1, 1, device, dtype);
      this.embLabel = null;
    }

    this.embScales = new EmbScales(cemb);
    long cout = c.imgChannels() + 1;
    List<Long> skips = new ArrayList<>();
    MPConv first = null;
    for (int level = 0; level < cblock.size(); level++) {
      int res = c.imgResolution() >> level;
      String r = p + "enc." + res + "x" + res;
      if (level == 0) {
        first = MPConv.load(w, r + "_conv.weight", cblock.get(0), cout, 3, 1, 1, device, dtype);
        cout = cblock.get(0);
      } else {
        enc.add(new Named(r + "_down", new Block(w, r + "_down", cout, cout, cemb, Block.Flavor.ENC, Block.Resample.DOWN, false, c, embScales, device, dtype)));
      }
      skips.add(cout);
      for (int i = 0; i < c.numBlocks(); i++) {
        long cin = cout;
        cout = cblock.get(level);
        enc.add(new Named(r + "_block" + i, new Block(w, r + "_block" + i, cin, cout, cemb, Block.Flavor.ENC, Block.Resample.KEEP, c.attnResolutions().contains(res), c, embScales, device, dtype)));
        skips.add(cout);
      }
    }
    this.encConv = first;
    for (int level = cblock.size() - 1; level >= 0; level--) {
      int res = c.imgResolution() >> level;
      String r = p + "dec." + res + "x" + res;
      if (level == cblock.size() - 1) {
        addDec(r + "_in0", new Block(w, r + "_in0", cout, cout, cemb, Block.Flavor.DEC, Block.Resample.KEEP, true, c, embScales, device, dtype), null);
        addDec(r + "_in1", new Block(w, r + "_in1", cout, cout, cemb, Block.Flavor.DEC, Block.Resample.KEEP, false, c, embScales, device, dtype), null);
      } else {
        addDec(r + "_up", new Block(w, r + "_up", cout, cout, cemb, Block.Flavor.DEC, Block.Resample.UP, false, c, embScales, device, dtype), null);
      }
      for (int i = 0; i <= c.numBlocks(); i++) {
        long skip = skips.removeLast();
        long cin = cout + skip;
        Tensor scale = catScale(cout, skip, c.concatBalance());
        cout = cblock.get(level);
        addDec(r + "_block" + i, new Block(w, r + "_block" + i, cin, cout, cemb, Block.Flavor.DEC, Block.Resample.KEEP, c.attnResolutions().contains(res), c, embScales, device, dtype), scale);
      }
    }
    double outGain = w.take(p + "out_gain").toFloatArray()[0];
    this.outConv = MPConv.load(w, p + "out_conv.weight", c.imgChannels(), cout, 3, outGain, 1, device, dtype);
    embScales.join(device, dtype);
  }

  private void addDec(String name, Block block, Tensor catScale) {
    dec.add(new Named(name, block));
    catScales.add(catScale);
  }

  /** mp_cat's factors: C (1 - t) / sqrt(Na) on a's channels, C t / sqrt(Nb) on b's. */
  private Tensor catScale(long na, long nb, double t) {
    double c = Math.sqrt((na + nb) / ((1 - t) * (1 - t) + t * t));
    float[] f = new float[Math.toIntExact(na + nb)];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) (i < na ? c * (1 - t) / Math.sqrt(na) : c * t / Math.sqrt(nb));
    }
    return MPConv.upload(f, device, dtype, na + nb);
  }

  private static double[] doubles(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  /** Fourier features per noise level: EDM2's MPFourier of c_noise, on the host in double. */
  int fourierChannels() {
    return freqs.length;
  }

  /** The blocks with self-attention by checkpoint key prefix, in forward order. */
  List<String> attentionLayers() {
    List<String> names = new ArrayList<>();
    for (Named n : enc) {
      if (n.block().hasAttention()) {
        names.add(n.name());
      }
    }
    for (Named n : dec) {
      if (n.block().hasAttention()) {
        names.add(n.name());
      }
    }
    return names;
  }

  /** The first decoder block (dec.RxR_in0 at the lowest resolution), EDM2's middle attention. */
  List<String> middleAttentionLayers() {
    Named first = dec.getFirst();
    return first.block().hasAttention() ? List.of(first.name()) : List.of();
  }

  /** sqrt(2) cos(c_noise f + p) for each sample's c_noise, (B * n) row-major, computed in double. */
  float[] fourier(double[] cNoise) {
    int n = freqs.length;
    float[] out = new float[cNoise.length * n];
    for (int i = 0; i < cNoise.length; i++) {
      for (int j = 0; j < n; j++) {
        out[i * n + j] = (float) (Math.sqrt(2) * Math.cos(cNoise[i] * freqs[j] + phases[j]));
      }
    }
    return out;
  }

  /**
   * silu(emb) (B, cemb): emb_noise of the Fourier features (B, n) plus, for a conditional model
   * given labels, emb_label of their one-hot vectors (labels: (B) F32 class indices on the
   * device; null: EDM2's zero class vector), then the U-Net's mp_silu (its gain is folded into
   * the layers reading it). One kernel.
   */
  Tensor embedding(Tensor fourier, Tensor labels) {
    if (embLabel != null && labels != null) {
      return embNoise.forwardEmbedPlusOneHot(fourier, embLabel, labels, true);
    }
    return embNoise.forwardEmbed(fourier, true);
  }

  /**
   * F(x; c_noise, labels) for x (B, C, H, W) already scaled by c_in, with the noise levels as
   * {@link #fourier} features (B, n) in the network's dtype and the labels as in {@link #embedding}.
   */
  Tensor forward(Tensor x, Tensor fourier, Tensor labels) {
    long b = x.dim(0);
    Deque<Tensor> skips = new ArrayDeque<>(); // every encoder output; the last is also the decoder's input
    Tensor h = null; // the decoder's current tensor once it owns one
    try (Tensor emb = embedding(fourier, labels);
        Tensor scales = embScales.forward(emb)) {
      try (Tensor ones = Ops.fill(Tensor.empty(device, dtype, b, 1, x.dim(2), x.dim(3)), 1f);
          Tensor in = Ops.concatChannels(x, ones)) {
        skips.addLast(encConv.forward(in));
      }
      for (Named n : enc) {
        skips.addLast(n.block().forward(skips.peekLast(), null, scales));
      }
      Tensor cur = skips.peekLast();
      for (int i = 0; i < dec.size(); i++) {
        Tensor scale = catScales.get(i);
        Tensor next;
        if (scale != null) {
          // mp_cat and the block's first mp_silu in one pass
          long[] shape = cur.shape();
          shape[1] += skips.peekLast().dim(1);
          try (Tensor skip = skips.removeLast();
              Tensor joined = Tensor.empty(device, dtype, shape);
              Tensor joinedSilu = Tensor.empty(device, dtype, shape)) {
            Ops.concatScaleInto(cur, skip, scale, joined, joinedSilu);
            next = dec.get(i).block().forward(joined, joinedSilu, scales);
          }
        } else {
          next = dec.get(i).block().forward(cur, null, scales);
        }
        if (h != null) {
          h.close();
        }
        h = next;
        cur = h;
      }
      return outConv.forward(h);
    } finally {
      if (h != null) {
        h.close();
      }
      skips.forEach(Tensor::close);
    }
  }

  @Override
  public void close() {
    embNoise.close();
    if (embLabel != null) {
      embLabel.close();
    }
    encConv.close();
    enc.forEach(n -> n.block().close());
    dec.forEach(n -> n.block().close());
    catScales.forEach(t -> {
      if (t != null) {
        t.close();
      }
    });
    outConv.close();
    embScales.close();
  }
}
