package org.guidance4j.nn.adm;

import org.guidance4j.core.Tensor;

/**
 * One layer of a TimestepEmbedSequential: forward(x, emb) returns a new tensor and never closes
 * x. In {@link #forward}, {@code embOut} is every ResBlock's emb_layers output side by side (one
 * GEMM per network forward, {@link EmbProjection}); in {@link #record}, {@code embSilu} is
 * SiLU(emb), which each ResBlock projects itself.
 */
interface TimestepBlock {
  Tensor forward(Tensor x, Tensor embOut);

  /** Channels of this block's output. */
  long outChannels();

  /**
   * {@link #forward}, also recording on {@code tape} what the input gradient needs (one backward
   * step). The result belongs to the tape (the caller does not close it), and x must stay open
   * until the tape's backward pass has run.
   */
  default Tensor record(Tensor x, Tensor embSilu, Tape tape) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " has no backward pass");
  }
}
