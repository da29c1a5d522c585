package org.guidance4j.image;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * A grid of samples drawn one at a time as they arrive (so the samples need not all be in memory
 * at once): {@code columns} per row, each cell zoomed to at least 64 pixels, an optional label to
 * the left of each row. {@link #pixels} tells beforehand how large the image will be.
 */
public final class GridCanvas {
  private static final int PAD = 2;

  private final int n;
  private final int c;
  private final int h;
  private final int w;
  private final int columns;
  private final int zoom;
  private final int labelWidth;
  private final BufferedImage image;
  private final Graphics2D g;

  public GridCanvas(int n, int c, int h, int w, int columns, List<String> rowLabels) {
    if (columns < 1) {
      throw new IllegalArgumentException("a grid needs at least 1 column, got " + columns);
    }
    this.n = n;
    this.c = c;
    this.h = h;
    this.w = w;
    this.columns = columns;
    this.zoom = Images.gridZoom(w);
    this.labelWidth = labelWidth(rowLabels);
    int rows = (n + columns - 1) / columns;
    this.image = new BufferedImage(
        labelWidth + columns * (w * zoom + PAD) + PAD, rows * (h * zoom + PAD) + PAD, BufferedImage.TYPE_INT_RGB);
    this.g = image.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    if (rowLabels != null) {
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setFont(new Font(Font.MONOSPACED, Font.PLAIN, 12));
      g.setColor(Color.BLACK);
      int ch = h * zoom + PAD;
      for (int r = 0; r < rows && r < rowLabels.size(); r++) {
        g.drawString(rowLabels.get(r), 4, PAD + r * ch + ch / 2 + 4);
      }
    }
  }

  /** Width times height of the grid image for these sizes (a long: it may not fit an image). */
  public static long pixels(long n, int h, int w, int columns) {
    int zoom = Images.gridZoom(w);
    long rows = (n + columns - 1) / columns;
    return ((long) columns * (w * zoom + PAD) + PAD) * (rows * (h * zoom + PAD) + PAD);
  }

  /** Draws sample {@code index} (C x H x W floats in [-1, 1] from {@code offset}) in its cell. */
  public void draw(int index, float[] data, int offset) {
    if (index < 0 || index >= n) {
      throw new IllegalArgumentException("sample " + index + " is outside the grid's " + n);
    }
    int cw = w * zoom + PAD;
    int ch = h * zoom + PAD;
    g.drawImage(
        Images.toImage(data, offset, c, h, w, zoom), labelWidth + PAD + (index % columns) * cw, PAD + (index / columns) * ch, null);
  }

  public BufferedImage image() {
    return image;
  }

  private static int labelWidth(List<String> rowLabels) {
    return rowLabels == null ? 0 : 8 + 7 * rowLabels.stream().mapToInt(String::length).max().orElse(0);
  }
}
