package org.guidance4j.nn.adm;

import java.util.ArrayList;
import java.util.List;
import org.guidance4j.core.Tensor;

/**
 * What a recorded forward pass keeps for its backward pass: the activations the gradients depend
 * on (owned here and freed on {@link #close()}) and one backward step per recorded layer, run
 * from the last layer to the first.
 */
final class Tape implements AutoCloseable {
  /** One layer's backward: the gradient with respect to its input from the one w.r.t. its output. */
  interface Step {
    /** Returns a new tensor the caller owns; {@code dy} stays the caller's. */
    Tensor backward(Tensor dy);
  }

  private final List<Tensor> saved = new ArrayList<>();
  private final List<Step> steps = new ArrayList<>();

  /** Takes ownership of {@code t} until the tape closes; returns it. */
  Tensor keep(Tensor t) {
    saved.add(t);
    return t;
  }

  void push(Step step) {
    steps.add(step);
  }

  /** Runs every step, last first: the gradient with respect to the first layer's input (the caller closes it). */
  Tensor backward(Tensor dy) {
    if (steps.isEmpty()) {
      return dy.copyTo(dy.device());
    }
    Tensor g = dy;
    for (int i = steps.size() - 1; i >= 0; i--) {
      Tensor next;
      try {
        next = steps.get(i).backward(g);
      } finally {
        if (g != dy) {
          g.close();
        }
      }
      g = next;
    }
    return g;
  }

  @Override
  public void close() {
    for (int i = saved.size() - 1; i >= 0; i--) {
      saved.get(i).close();
    }
    saved.clear();
    steps.clear();
  }
}
