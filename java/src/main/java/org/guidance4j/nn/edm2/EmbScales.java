package org.guidance4j.nn.edm2;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;

/**
 * Every Block's emb_linear, with the "+ 1" of its residual scale as a bias of ones, joined at
 * load into one (sum of widths, cemb) weight: one GEMM per network forward gives every block's
 * 1 + emb_linear(emb) side by side (one launch instead of one per block); each block scales its
 * residual branch by its own columns.
 */
final class EmbScales implements AutoCloseable {
  private final long embDim;
  private final List<float[]> parts = new ArrayList<>();
  private long total;
  private Tensor weight; // (total, cemb), owned once joined
  private Tensor ones; // (total)

  EmbScales(long embDim) {
    this.embDim = embDim;
  }

  /** A block's emb_linear weight (width, cemb), normalised (MPConv.normalised); returns its first column. */
  long add(float[] normalisedWeight) {
    long column = total;
    parts.add(normalisedWeight);
    total += normalisedWeight.length / embDim;
    return column;
  }

  /** Uploads the joined weight; call once, after the last add. */
  void join(Device device, DType dtype) {
    float[] w = new float[Math.toIntExact(total * embDim)];
    int at = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, w, at, p.length);
      at += p.length;
    }
    parts.clear();
    float[] one = new float[Math.toIntExact(total)];
    Arrays.fill(one, 1f);
    weight = MPConv.upload(w, device, dtype, total, embDim);
    try {
      ones = MPConv.upload(one, device, dtype, total);
    } catch (RuntimeException e) {
      weight.close();
      throw e;
    }
  }

  /** silu(emb) (B, cemb) -> every block's 1 + emb_linear(emb), (B, sum of widths). */
  Tensor forward(Tensor embSilu) {
    return Ops.linear(embSilu, weight, ones);
  }

  @Override
  public void close() {
    if (weight != null) {
      weight.close();
      ones.close();
    }
  }
}
