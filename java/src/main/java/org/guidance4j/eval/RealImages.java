package org.guidance4j.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;

/**
 * Real images with their classes, the reference a sweep measures samples against, e.g. the demo
 * models' held-out digits (models/digits-heldout.npy, written by tools/export_heldout_digits.py).
 *
 * @param data (N, C, H, W) in [-1, 1], C as the model's samples
 */
public record RealImages(float[] data, long[] shape, long[] labels) {

  /**
   * Reads images (float32/float64 .npy, (N, C, H, W) in [-1, 1]) and labels (int64 .npy, (N)).
   * Grey images (C = 1) are repeated to the model's channel count, as the models saw them in training.
   *
   * @param sampleShape the model's (C, H, W)
   */
  public static RealImages read(Path images, Path labels, long[] sampleShape) throws IOException {
    NpyArray x = Npy.read(images);
    NpyArray y = Npy.read(labels);
    long[] s = x.shape();
    long c = sampleShape[0];
    if (s.length != 4 || s[2] != sampleShape[1] || s[3] != sampleShape[2] || (s[1] != c && s[1] != 1)) {
      throw new IllegalArgumentException(
          images + ": images of shape " + Arrays.toString(s) + ", expected (N, " + c + " or 1, " + sampleShape[1]
              + ", " + sampleShape[2] + ") for this model");
    }
    long[] l = y.toLongArray();
    if (y.shape().length != 1 || l.length != s[0]) {
      throw new IllegalArgumentException(
          labels + ": labels of shape " + Arrays.toString(y.shape()) + ", expected (" + s[0] + ") for " + images);
    }
    float[] src = x.toFloatArray();
    int plane = (int) (s[2] * s[3]);
    int n = (int) s[0];
    float[] data = new float[(int) (n * c * plane)];
    for (int i = 0; i < n; i++) {
      for (int ch = 0; ch < c; ch++) {
        int from = (int) ((i * s[1] + (s[1] == 1 ? 0 : ch)) * plane);
        System.arraycopy(src, from, data, (int) ((i * c + ch) * plane), plane);
      }
    }
    return new RealImages(data, new long[] {n, c, s[2], s[3]}, l);
  }

  public int count() {
    return (int) shape[0];
  }

  /** The images as a new CPU tensor; the caller closes it. */
  public Tensor tensor() {
    return Tensor.fromArray(Device.cpu(), data, shape);
  }
}
