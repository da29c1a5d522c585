package org.guidance4j.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.guidance4j.io.AtomicFiles;

/**
 * Samples (N, C, H, W) in [-1, 1] to pictures: the pixel conversion of guided-diffusion's scripts
 * ((x + 1) * 127.5, clamped to [0, 255], truncated to uint8), grids, and atomic PNG writes.
 */
public final class Images {
  private Images() {}

  /** One sample (C = 1 grey or C = 3 RGB) as an image, each pixel repeated {@code zoom} times. */
  public static BufferedImage toImage(float[] data, int offset, int c, int h, int w, int zoom) {
    if (c != 1 && c != 3) {
      throw new IllegalArgumentException("images need 1 or 3 channels, got " + c);
    }
    BufferedImage img = new BufferedImage(w * zoom, h * zoom, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int r = pixel(data[offset + y * w + x]);
        int g = c == 3 ? pixel(data[offset + (h + y) * w + x]) : r;
        int b = c == 3 ? pixel(data[offset + (2 * h + y) * w + x]) : r;
        int rgb = (r << 16) | (g << 8) | b;
        for (int dy = 0; dy < zoom; dy++) {
          for (int dx = 0; dx < zoom; dx++) {
            img.setRGB(x * zoom + dx, y * zoom + dy, rgb);
          }
        }
      }
    }
    return img;
  }

  static int pixel(float v) {
    float p = (v + 1f) * 127.5f;
    return (int) Math.max(0f, Math.min(255f, p));
  }

  /** Zoom so that a cell is at least 64 pixels wide (small samples stay visible in a grid). */
  public static int gridZoom(int width) {
    return Math.max(1, (64 + width - 1) / width);
  }

  /**
   * A grid of samples, {@code columns} per row, with an optional label to the left of each row.
   *
   * @param shape (N, C, H, W)
   */
  public static BufferedImage grid(float[] data, long[] shape, int columns, List<String> rowLabels) {
    GridCanvas canvas = new GridCanvas((int) shape[0], (int) shape[1], (int) shape[2], (int) shape[3], columns, rowLabels);
    int per = (int) (shape[1] * shape[2] * shape[3]);
    for (int i = 0; i < shape[0]; i++) {
      canvas.draw(i, data, i * per);
    }
    return canvas.image();
  }

  /** The PNG encoding of {@code image}. */
  public static byte[] encodePng(BufferedImage image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, "png", out)) {
        throw new IllegalStateException("no PNG writer available in this JVM");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("encoding a PNG in memory", e); // a ByteArrayOutputStream does not fail
    }
    return out.toByteArray();
  }

  /**
   * Writes a PNG through a temporary file in the same folder, renamed into place: never a partial
   * file, none left when the JVM is interrupted, and a failed write names the file and the reason.
   */
  public static void writePng(BufferedImage image, Path path) throws IOException {
    AtomicFiles.write(path, encodePng(image));
  }
}
