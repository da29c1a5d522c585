package org.guidance4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.guidance4j.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RealImagesTest {
  @TempDir Path dir;

  @Test
  void greyImagesAreRepeatedToThreeChannels() throws Exception {
    float[] grey = new float[2 * 2 * 3];
    for (int i = 0; i < grey.length; i++) {
      grey[i] = i * 0.1f - 0.5f;
    }
    Npy.writeFloats(dir.resolve("x.npy"), new long[] {2, 1, 2, 3}, grey);
    Npy.writeLongs(dir.resolve("y.npy"), new long[] {2}, 4, 7);
    RealImages r = RealImages.read(dir.resolve("x.npy"), dir.resolve("y.npy"), new long[] {3, 2, 3});
    assertArrayEquals(new long[] {2, 3, 2, 3}, r.shape());
    assertArrayEquals(new long[] {4, 7}, r.labels());
    for (int i = 0; i < 2; i++) {
      for (int c = 0; c < 3; c++) {
        for (int p = 0; p < 6; p++) {
          assertTrue(r.data()[(i * 3 + c) * 6 + p] == grey[i * 6 + p]);
        }
      }
    }
  }

  @Test
  void wrongSizeOrLabelCountNamesTheFile() throws Exception {
    Npy.writeFloats(dir.resolve("x.npy"), new long[] {2, 1, 4, 4}, new float[32]);
    Npy.writeLongs(dir.resolve("y.npy"), new long[] {3}, 1, 2, 3);
    Npy.writeLongs(dir.resolve("y2.npy"), new long[] {2}, 1, 2);
    var e = assertThrows(IllegalArgumentException.class,
        () -> RealImages.read(dir.resolve("x.npy"), dir.resolve("y2.npy"), new long[] {3, 16, 16}));
    assertTrue(e.getMessage().contains("x.npy") && e.getMessage().contains("[2, 1, 4, 4]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> RealImages.read(dir.resolve("x.npy"), dir.resolve("y.npy"), new long[] {3, 4, 4}));
    assertTrue(e.getMessage().contains("y.npy") && e.getMessage().contains("[3]"), e.getMessage());
  }
}
