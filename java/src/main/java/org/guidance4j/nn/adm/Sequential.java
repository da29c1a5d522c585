package org.guidance4j.nn.adm;

import java.util.List;
import org.guidance4j.core.Tensor;

/** TimestepEmbedSequential: its layers in order, each output feeding the next. */
final class Sequential implements TimestepBlock {
  private final List<TimestepBlock> layers;

  Sequential(List<TimestepBlock> layers) {
    this.layers = List.copyOf(layers);
  }

  /** The layers in order. */
  List<TimestepBlock> layers() {
    return layers;
  }

  @Override
  public long outChannels() {
    return layers.getLast().outChannels();
  }

  @Override
  public Tensor forward(Tensor x, Tensor embOut) {
    Tensor h = x;
    for (TimestepBlock layer : layers) {
      Tensor next = layer.forward(h, embOut);
      if (h != x) {
        h.close();
      }
      h = next;
    }
    return h;
  }

  @Override
  public Tensor record(Tensor x, Tensor embSilu, Tape tape) {
    Tensor h = x;
    for (TimestepBlock layer : layers) {
      h = layer.record(h, embSilu, tape);
    }
    return h;
  }
}
