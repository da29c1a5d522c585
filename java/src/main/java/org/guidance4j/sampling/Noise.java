package org.guidance4j.sampling;

import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;

/**
 * The Gaussian noise of one batch: sample j of the batch is global sample {@code firstSample + j},
 * and each use within a run has its own stream id (0: the initial noise, 1 + i: step i), so a
 * sample's noise depends only on (seed, its global index, the use): not on the batch size or device.
 */
public record Noise(long seed, long firstSample) {
  public static final int INITIAL = 0;

  public static int step(int i) {
    return 1 + i;
  }

  public Tensor normal(Device device, int streamId, long... shape) {
    return Ops.randn(device, DType.F32, seed, streamId, firstSample, shape);
  }
}
