package org.guidance4j.nn.adm;

import org.guidance4j.core.Grads;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.nn.Conv2d;
import org.guidance4j.nn.GroupNorm32;
import org.guidance4j.nn.Weights;

/**
 * guided-diffusion's ResBlock: in_layers (GroupNorm, SiLU, conv3x3), emb_layers (SiLU, Linear)
 * added as a channel bias or applied as AdaGN scale/shift, out_layers (GroupNorm, SiLU, dropout,
 * conv3x3), plus the skip connection (identity or 1x1 conv). With up/down (BigGAN style) both the
 * branch (between its SiLU and conv) and the skip input are resampled parameter-free.
 */
final class ResBlock implements TimestepBlock {
  enum Resample { NONE, UP, DOWN }

  private final GroupNorm32 inNorm; // in_layers.0
  private final Conv2d inConv; // in_layers.2
  private final EmbProjection.Slot emb; // emb_layers.1, a share of the network's joined projection
  private final GroupNorm32 outNorm; // out_layers.0
  private final Conv2d outConv; // out_layers.3
  private final Conv2d skip; // skip_connection, null for identity
  private final boolean scaleShift;
  private final Resample resample;
  private final long outChannels;

  ResBlock(
      Weights w, EmbProjection projection, String p, long channels, long embDim, long outChannels, boolean scaleShift,
      Resample resample) {
    this.inNorm = GroupNorm32.load(w, p + ".in_layers.0", channels);
    this.inConv = Conv2d.load(w, p + ".in_layers.2", channels, outChannels, 3, 1, 1);
    this.emb = projection.add(p + ".emb_layers.1", embDim, scaleShift ? 2 * outChannels : outChannels);
    this.outNorm = GroupNorm32.load(w, p + ".out_layers.0", outChannels);
    this.outConv = Conv2d.load(w, p + ".out_layers.3", outChannels, outChannels, 3, 1, 1);
    this.skip = outChannels == channels ? null : Conv2d.load(w, p + ".skip_connection", channels, outChannels, 1, 1, 0);
    this.scaleShift = scaleShift;
    this.resample = resample;
    this.outChannels = outChannels;
  }

  @Override
  public long outChannels() {
    return outChannels;
  }

  /** embOut: every ResBlock's emb_out side by side (EmbProjection.forward); this block reads its columns. */
  @Override
  public Tensor forward(Tensor x, Tensor embOut) {
    Tensor xs = x;
    Tensor h;
    try (Tensor a = inNorm.forward(x, true)) {
      if (resample == Resample.NONE) {
        h = inConv.forward(a);
      } else {
        try (Tensor r = resampled(a)) {
          h = inConv.forward(r);
        }
        xs = resampled(x);
      }
    }
    try (Tensor hh = h;
        Tensor ownedXs = xs == x ? null : xs) {
      Tensor normed;
      if (scaleShift) {
        normed = outNorm.forwardAdaptive(hh, embOut, emb.column(), true);
      } else {
        try (Tensor biased = Ops.addChannelBias(hh, embOut, emb.column())) {
          normed = outNorm.forward(biased, true);
        }
      }
      try (Tensor n = normed) {
        if (skip == null) {
          return outConv.forward(n, xs);
        }
        try (Tensor s = skip.forward(xs)) {
          return outConv.forward(n, s);
        }
      }
    }
  }

  /**
   * The forward pass, keeping for the backward the out norm's input (h, or h + emb_out without
   * scale-shift) and emb_out; the in norm's input is x itself. The gradient of the branch and of
   * the skip connection are added; with DOWN both pass back through the 2x2 pool.
   */
  @Override
  public Tensor record(Tensor x, Tensor embSilu, Tape tape) {
    if (resample == Resample.UP) {
      throw new UnsupportedOperationException("ResBlock: no backward pass through up-sampling");
    }
    boolean down = resample == Resample.DOWN;
    long inH = x.dim(2);
    long inW = x.dim(3);
    Tensor h;
    try (Tensor a = inNorm.forward(x, true)) {
      if (down) {
        try (Tensor r = Ops.avgPool2x2(a)) {
          h = inConv.forward(r);
        }
      } else {
        h = inConv.forward(a);
      }
    }
    Tensor e = tape.keep(emb.linear().forward(embSilu));
    Tensor normIn; // the out norm's input
    Tensor n;
    if (scaleShift) {
      normIn = tape.keep(h);
      n = outNorm.forwardAdaptive(normIn, e, true);
    } else {
      try (h) {
        normIn = tape.keep(Ops.addChannelBias(h, e));
      }
      n = outNorm.forward(normIn, true);
    }
    Tensor out;
    try (n;
        Tensor xs = down ? Ops.avgPool2x2(x) : null) {
      Tensor skipIn = down ? xs : x;
      if (skip == null) {
        out = tape.keep(outConv.forward(n, skipIn));
      } else {
        try (Tensor s = skip.forward(skipIn)) {
          out = tape.keep(outConv.forward(n, s));
        }
      }
    }
    long hh = normIn.dim(2);
    long hw = normIn.dim(3);
    tape.push(dOut -> {
      try (Tensor dn = outConv.backwardInput(dOut, hh, hw);
          Tensor dh = scaleShift ? outNorm.backwardAdaptive(normIn, e, dn, true) : outNorm.backward(normIn, dn, true);
          Tensor dr = inConv.backwardInput(dh, hh, hw);
          Tensor da = down ? Grads.avgPool2x2Backward(dr, inH, inW) : null;
          Tensor dMain = inNorm.backward(x, down ? da : dr, true);
          Tensor dSkipConv = skip == null ? null : skip.backwardInput(dOut, hh, hw);
          Tensor dSkipPooled = down ? Grads.avgPool2x2Backward(skip == null ? dOut : dSkipConv, inH, inW) : null) {
        Tensor dSkip = down ? dSkipPooled : skip == null ? dOut : dSkipConv;
        return Ops.add(dMain, dSkip);
      }
    });
    return out;
  }

  private Tensor resampled(Tensor t) {
    return resample == Resample.UP ? Ops.upsampleNearest2x(t) : Ops.avgPool2x2(t);
  }
}
