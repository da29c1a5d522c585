package org.guidance4j.image;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import javax.imageio.ImageIO;

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
    int n = (int) shape[0];
    int c = (int) shape[1];
    int h = (int) shape[2];
    int w = (int) shape[3];
    int zoom = gridZoom(w);
    int rows = (n + columns - 1) / columns;
    int pad = 2;
    int labelWidth = rowLabels == null ? 0 : 8 + 7 * rowLabels.stream().mapToInt(String::length).max().orElse(0);
    int cw = w * zoom + pad;
    int ch = h * zoom + pad;
    BufferedImage out = new BufferedImage(labelWidth + columns * cw + pad, rows * ch + pad, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, out.getWidth(), out.getHeight());
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setFont(new Font(Font.MONOSPACED, Font.PLAIN, 12));
    int per = c * h * w;
    for (int i = 0; i < n; i++) {
      int row = i / columns;
      int col = i % columns;
      g.drawImage(toImage(data, i * per, c, h, w, zoom), labelWidth + pad + col * cw, pad + row * ch, null);
    }
    if (rowLabels != null) {
      g.setColor(Color.BLACK);
      for (int r = 0; r < rows && r < rowLabels.size(); r++) {
        g.drawString(rowLabels.get(r), 4, pad + r * ch + ch / 2 + 4);
      }
    }
    g.dispose();
    return out;
  }

  /** Writes a PNG through a temporary file in the same folder, renamed into place: never a partial file. */
  public static void writePng(BufferedImage image, Path path) throws IOException {
    Path abs = path.toAbsolutePath();
    Path dir = abs.getParent();
    Path tmp = Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
    try {
      if (!ImageIO.write(image, "png", tmp.toFile())) {
        throw new IOException("no PNG writer available");
      }
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
