package org.guidance4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** concatChannels / narrowChannels are strided copies (g4j_memcpy_2d), checked element by element. */
class ChannelCopyTest {
  private static final Device CPU = Device.cpu();

  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  @Test
  void concatenatesAlongChannels() {
    int b = 3, ca = 2, cb = 5, s = 7; // odd sizes so rows never line up by accident
    float[] x = random(b * ca * s, 1);
    float[] y = random(b * cb * s, 2);
    try (Tensor tx = Tensor.fromArray(CPU, x, b, ca, s);
        Tensor ty = Tensor.fromArray(CPU, y, b, cb, s);
        Tensor out = Tensor.fromArray(CPU, nans(b * (ca + cb) * s), b, ca + cb, s)) {
      Ops.concatChannelsInto(tx, ty, out);
      float[] got = out.toFloatArray();
      for (int i = 0; i < b; i++) {
        for (int c = 0; c < ca + cb; c++) {
          for (int k = 0; k < s; k++) {
            float want = c < ca ? x[(i * ca + c) * s + k] : y[(i * cb + c - ca) * s + k];
            assertEquals(want, got[(i * (ca + cb) + c) * s + k], 0f, "sample " + i + " channel " + c + " pos " + k);
          }
        }
      }
    }
  }

  @Test
  void narrowTakesAChannelRange() {
    int b = 2, c = 6, s = 5;
    float[] x = random(b * c * s, 3);
    try (Tensor tx = Tensor.fromArray(CPU, x, b, c, s);
        Tensor n = Ops.narrowChannels(tx, 1, 3)) {
      assertArrayEquals(new long[] {b, 3, s}, n.shape());
      float[] got = n.toFloatArray();
      for (int i = 0; i < b; i++) {
        for (int j = 0; j < 3; j++) {
          for (int k = 0; k < s; k++) {
            assertEquals(x[(i * c + 1 + j) * s + k], got[(i * 3 + j) * s + k], 0f);
          }
        }
      }
      assertThrows(InvalidArgumentException.class, () -> Ops.narrowChannels(tx, 4, 3));
    }
  }

  @Test
  void mismatchedSpatialShapesAreRejected() {
    try (Tensor a = Tensor.empty(CPU, DType.F32, 2, 3, 4, 4);
        Tensor b = Tensor.empty(CPU, DType.F32, 2, 3, 4, 5)) {
      InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> Ops.concatChannels(a, b));
      assertEquals(true, e.getMessage().contains("[2, 3, 4, 4]"), e.getMessage());
    }
  }

  private static float[] nans(int n) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, Float.NaN);
    return a;
  }
}
