package org.guidance4j.toy;

import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Tensor;

/** What every toy model shares: samples are 2-D points, stored as (N, 2, 1, 1). */
final class PointModels {
  private PointModels() {}

  /** (C, H, W) of one point. */
  static long[] sampleShape() {
    return new long[] {2, 1, 1};
  }

  /** Fails unless x holds N points and there is one sigma per point. */
  static void checkInput(String op, Tensor x, float[] sigmas) {
    long n = x.dim(0);
    if (x.numel() != 2 * n || sigmas.length != n) {
      throw new InvalidArgumentException(
          op, "expected x (N, 2, 1, 1) and N sigmas, got " + x + " and " + sigmas.length + " sigmas");
    }
  }
}
