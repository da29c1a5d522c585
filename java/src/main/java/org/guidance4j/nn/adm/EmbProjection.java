package org.guidance4j.nn.adm;

import java.util.ArrayList;
import java.util.List;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.nn.Linear;
import org.guidance4j.nn.Weights;

/**
 * Every ResBlock's emb_layers Linear (emb_dim to C, or 2C with scale-shift) joined at load into
 * one (sum of widths, emb_dim) weight, so that one GEMM per network forward projects silu(emb)
 * for all of them (ADM-64: one launch instead of 36). Each block reads its own columns of the
 * result; its own Linear, for the backward-recording path, is a view of its rows of the joined
 * weight (a block's rows are contiguous).
 */
final class EmbProjection implements AutoCloseable {
  /** A block's share: columns [column, column + width) of {@link #forward}'s result. */
  static final class Slot {
    private final Tensor weight; // the loaded part until join() copies and frees it
    private final Tensor bias;
    private final long width;
    private long column;
    private Linear linear;

    private Slot(Tensor weight, Tensor bias) {
      this.weight = weight;
      this.bias = bias;
      this.width = weight.dim(0);
    }

    long column() {
      return column;
    }

    long width() {
      return width;
    }

    /** This block's own Linear (a view of the joined weight), once joined. */
    Linear linear() {
      if (linear == null) {
        throw new IllegalStateException("EmbProjection: slot used before join()");
      }
      return linear;
    }
  }

  private final Weights weights;
  private final List<Slot> slots = new ArrayList<>();
  private Tensor weight; // (total, emb_dim), owned
  private Tensor bias; // (total), owned

  EmbProjection(Weights weights) {
    this.weights = weights;
  }

  /** Loads {@code prefix}.weight (width, embDim) and .bias (width); their columns come from {@link #forward}. */
  Slot add(String prefix, long embDim, long width) {
    Slot s = new Slot(weights.take(prefix + ".weight", width, embDim), weights.take(prefix + ".bias", width));
    slots.add(s);
    return s;
  }

  /** Joins the loaded parts (copied into one weight and one bias, then freed); call once, after the last add. */
  void join() {
    if (slots.isEmpty()) {
      return;
    }
    long total = 0;
    for (Slot s : slots) {
      total += s.width();
    }
    Tensor first = slots.getFirst().weight;
    weight = Tensor.empty(first.device(), first.dtype(), total, first.dim(1));
    bias = Tensor.empty(first.device(), first.dtype(), total);
    long column = 0;
    for (Slot s : slots) {
      long end = column + s.width();
      Tensor wv = weight.slice(column, end);
      Tensor bv = bias.slice(column, end);
      wv.copyFrom(s.weight);
      bv.copyFrom(s.bias);
      s.weight.close();
      s.bias.close();
      s.column = column;
      s.linear = Linear.of(wv, bv);
      column = end;
    }
  }

  /** silu(emb) (B, emb_dim) -> every block's emb_out side by side, (B, sum of widths). */
  Tensor forward(Tensor embSilu) {
    return Ops.linear(embSilu, weight, bias);
  }

  @Override
  public void close() {
    if (weight != null) {
      weight.close();
      bias.close();
    }
  }
}
