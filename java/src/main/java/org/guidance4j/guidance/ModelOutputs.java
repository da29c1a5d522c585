package org.guidance4j.guidance;

import java.util.List;
import org.guidance4j.core.Copies;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;

/** Splits a raw model output into its eps and learned-variance halves (channel blocks). */
final class ModelOutputs {
  private ModelOutputs() {}

  /** eps and v (null without learned sigma) as (N, C, H, W) views; {@code owners} hold their memory. */
  record Parts(Tensor eps, Tensor v, List<Tensor> owners) {}

  /** Takes ownership of {@code out} (N, C or 2C, H, W). */
  static Parts split(DiffusionModel model, Tensor out) {
    long n = out.dim(0);
    long[] s = model.sampleShape();
    long per = s[0] * s[1] * s[2];
    long[] shape = {n, s[0], s[1], s[2]};
    if (!model.learnedSigma()) {
      return new Parts(out, null, List.of(out));
    }
    try (out) {
      Tensor rows = out.reshape(n, 2 * per);
      Tensor eps = Copies.columns(rows, 0, per);
      Tensor v = Copies.columns(rows, per, 2 * per);
      return new Parts(eps.reshape(shape), v.reshape(shape), List.of(eps, v));
    }
  }
}
