package org.guidance4j.toy;

import java.util.stream.IntStream;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.ContinuousModel;

/**
 * A continuous x0-predicting model of 2-D points computed on the CPU in float64, point by point:
 * the base of the toy's closed-form "networks" ({@link ExactDenoiser}, {@link FlatDenoiser}).
 */
abstract class PointModel implements ContinuousModel {
  /** D(x; sigma) at the point (x, y). */
  abstract double[] denoise(double x, double y, double sigma);

  @Override
  public Device device() {
    return Device.cpu();
  }

  @Override
  public long[] sampleShape() {
    return PointModels.sampleShape();
  }

  @Override
  public int numClasses() {
    return 0;
  }

  /** D for x_vp = x / sqrt(1 + sigma²) (N, 2, 1, 1), sigma per sample. */
  @Override
  public Tensor forward(Tensor x, float[] sigmas, long[] labels) {
    PointModels.checkInput(getClass().getSimpleName() + ".forward", x, sigmas);
    int n = (int) x.dim(0);
    float[] in = x.toFloatArray();
    float[] out = new float[in.length];
    IntStream.range(0, n).parallel().forEach(i -> {
      double s = sigmas[i];
      double up = Math.sqrt(1 + s * s);
      double[] d = denoise(in[2 * i] * up, in[2 * i + 1] * up, s);
      out[2 * i] = (float) d[0];
      out[2 * i + 1] = (float) d[1];
    });
    return Tensor.fromArray(x.device(), out, x.shape());
  }

  @Override
  public void close() {}
}
