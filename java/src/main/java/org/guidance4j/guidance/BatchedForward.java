package org.guidance4j.guidance;

import java.util.List;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.nn.PerturbedAttention;

/**
 * Several evaluations of one model at the same x as ONE forward of k·B rows, the way
 * classifier-free guidance runs its conditional and null-class halves: row group j is rows
 * [j·B, (j+1)·B) with its own labels, and the perturbed group (perturbed-attention guidance) has
 * its rows on the identity attention map. The outputs come back as per-group views.
 */
final class BatchedForward {
  private BatchedForward() {}

  /** What a row group evaluates. */
  enum Group {
    /** the conditional model (the labels as given; none for an unconditional model) */
    CONDITIONAL,
    /** the null class of classifier-free guidance */
    NULL_CLASS,
    /** the conditional model with perturbed attention */
    PERTURBED
  }

  /**
   * The predictions of each group (views of one output, in the order asked), the learned-variance
   * channels of the first group (or null), and the tensors that own their memory.
   */
  record Outputs(List<Tensor> predictions, Tensor v, List<Tensor> owners) {}

  /**
   * @param perturbation the layers of the PERTURBED group (its rows are filled in here); null
   *     when no group is perturbed
   */
  static Outputs run(
      DiffusionModel model, Tensor x, float t, long[] labels, List<Group> groups, PerturbedAttention perturbation) {
    int n = Math.toIntExact(x.dim(0));
    int k = groups.size();
    boolean conditional = model.numClasses() > 0;
    if (conditional && (labels == null || labels.length != n)) {
      throw new InvalidArgumentException(
          "BatchedForward", "the model is class-conditional: give one label per sample (" + n + ")");
    }
    long[] all = conditional ? new long[k * n] : null;
    PerturbedAttention rows = null;
    for (int j = 0; j < k; j++) {
      Group g = groups.get(j);
      if (g == Group.PERTURBED) {
        if (perturbation == null) {
          throw new InvalidArgumentException("BatchedForward", "a perturbed row group needs the layers to perturb");
        }
        rows = perturbation.rows((long) j * n, (long) (j + 1) * n);
      }
      if (conditional) {
        for (int i = 0; i < n; i++) {
          all[j * n + i] = g == Group.NULL_CLASS ? model.nullClass() : labels[i];
        }
      }
    }
    Tensor out;
    if (k == 1 && rows == null) {
      out = model.forward(x, Guidance.repeat(t, n), all);
    } else {
      long[] shape = x.shape();
      shape[0] = (long) k * n;
      try (Tensor xx = Tensor.empty(x.device(), x.dtype(), shape)) {
        for (int j = 0; j < k; j++) {
          xx.slice((long) j * n, (long) (j + 1) * n).copyFrom(x);
        }
        out = model.forward(xx, Guidance.repeat(t, (long) k * n), all, rows);
      }
    }
    ModelOutputs.Parts p = ModelOutputs.split(model, out);
    Tensor[] views = new Tensor[k];
    for (int j = 0; j < k; j++) {
      views[j] = p.eps().slice((long) j * n, (long) (j + 1) * n);
    }
    Tensor v = p.v() == null ? null : p.v().slice(0, n);
    return new Outputs(List.of(views), v, p.owners());
  }
}
