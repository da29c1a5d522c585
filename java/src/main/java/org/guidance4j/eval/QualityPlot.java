package org.guidance4j.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * A sweep as a picture: accuracy against scale (left) and Fréchet distance against scale (right),
 * one line per method. The unguided point ("none") starts each method's line at the scale where
 * that method is the conditional model alone ({@link QualitySweep#neutralScale}). Plain Java2D, so
 * it draws on a headless machine.
 */
public final class QualityPlot {
  private QualityPlot() {}

  private static final int PANEL_W = 520;
  private static final int PANEL_H = 430;
  private static final int LEFT = 64;
  private static final int RIGHT = 16;
  private static final int TOP = 36;
  private static final int BOTTOM = 106; // axis labels and up to three rows of legend
  private static final Color[] COLORS = {
    new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd), new Color(0xff7f0e),
    new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf), new Color(0x7f7f7f)
  };

  static final String SCALE_AXIS = "guidance scale (cfg, apg: gamma = w, auto: w, pag: s, classifier: s)";

  /**
   * @param referenceHalves the distance between two halves of the real images, drawn as the level
   *     of sampling noise (NaN: not drawn)
   */
  public static BufferedImage plot(
      List<QualitySweep.Point> points, double referenceAccuracy, double referenceHalves, String subtitle) {
    return plot(points, referenceAccuracy, referenceHalves, subtitle, SCALE_AXIS);
  }

  /** The same with another quantity on the x axis (each point's scale), e.g. network evaluations. */
  public static BufferedImage plot(
      List<QualitySweep.Point> points, double referenceAccuracy, double referenceHalves, String subtitle, String xAxis) {
    Map<String, List<QualitySweep.Point>> lines = lines(points);
    BufferedImage img = new BufferedImage(2 * PANEL_W, PANEL_H + 24, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    panel(g, 0, "classifier accuracy (fidelity), higher is better", lines, QualitySweep.Point::accuracy,
        referenceAccuracy, "held-out real images", 1.0, xAxis);
    panel(g, PANEL_W, "Fréchet distance to held-out images, lower is better", lines, QualitySweep.Point::frechet,
        referenceHalves, "real images, half vs half", Double.POSITIVE_INFINITY, xAxis);
    g.setColor(Color.DARK_GRAY);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString(subtitle, LEFT, PANEL_H + 14);
    g.dispose();
    return img;
  }

  /** Points grouped by method, each guided line led by the unguided point at its neutral scale. */
  static Map<String, List<QualitySweep.Point>> lines(List<QualitySweep.Point> points) {
    QualitySweep.Point none = points.stream().filter(p -> p.method().equals("none")).findFirst().orElse(null);
    Map<String, List<QualitySweep.Point>> lines = new LinkedHashMap<>();
    for (QualitySweep.Point p : points) {
      if (p.method().equals("none")) {
        continue;
      }
      lines.computeIfAbsent(p.method(), m -> {
        List<QualitySweep.Point> l = new ArrayList<>();
        if (none != null) {
          l.add(new QualitySweep.Point(
              m, QualitySweep.neutralScale(m), none.accuracy(), none.frechet(), none.spread(), none.seconds()));
        }
        return l;
      }).add(p);
    }
    lines.values().forEach(l -> l.sort((a, b) -> Double.compare(a.scale(), b.scale())));
    if (lines.isEmpty() && none != null) {
      lines.put("none", List.of(none));
    }
    return lines;
  }

  private static void panel(
      Graphics2D g, int x0, String title, Map<String, List<QualitySweep.Point>> lines,
      ToDoubleFunction<QualitySweep.Point> value, double reference, String referenceName, double ceiling, String xAxis) {
    double xMin = Double.POSITIVE_INFINITY;
    double xMax = Double.NEGATIVE_INFINITY;
    double yMin = Double.POSITIVE_INFINITY;
    double yMax = Double.NEGATIVE_INFINITY;
    for (List<QualitySweep.Point> l : lines.values()) {
      for (QualitySweep.Point p : l) {
        xMin = Math.min(xMin, p.scale());
        xMax = Math.max(xMax, p.scale());
        yMin = Math.min(yMin, value.applyAsDouble(p));
        yMax = Math.max(yMax, value.applyAsDouble(p));
      }
    }
    if (!Double.isNaN(reference)) {
      yMin = Math.min(yMin, reference);
      yMax = Math.max(yMax, reference);
    }
    if (Double.isInfinite(xMin)) {
      xMin = 0;
      xMax = 1;
      yMin = 0;
      yMax = 1;
    }
    double[] xt = ticks(xMin, xMax);
    double pad = 0.04 * (yMax - yMin); // keeps points off the frame
    double[] yt = ticks(yMin - pad, Math.min(yMax + pad, ceiling));
    Axis ax = new Axis(xt[0], xt[xt.length - 1], yt[0], yt[yt.length - 1], x0 + LEFT, TOP, PANEL_W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    for (double t : yt) {
      int y = ax.py(t);
      g.setColor(new Color(0xe6e6e6));
      g.drawLine(ax.left, y, ax.left + ax.width, y);
      g.setColor(Color.BLACK);
      String s = label(t);
      g.drawString(s, ax.left - 6 - g.getFontMetrics().stringWidth(s), y + 4);
    }
    for (double t : xt) {
      int x = ax.px(t);
      g.setColor(new Color(0xe6e6e6));
      g.drawLine(x, ax.top, x, ax.top + ax.height);
      g.setColor(Color.BLACK);
      String s = label(t);
      g.drawString(s, x - g.getFontMetrics().stringWidth(s) / 2, ax.top + ax.height + 16);
    }
    g.setColor(Color.BLACK);
    g.drawRect(ax.left, ax.top, ax.width, ax.height);
    g.drawString(xAxis, ax.left, ax.top + ax.height + 34);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    g.drawString(title, ax.left, TOP - 14);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    int legendX = ax.left;
    int legendY = ax.top + ax.height + 56;
    if (!Double.isNaN(reference)) {
      g.setColor(Color.GRAY);
      g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
      g.drawLine(ax.left, ax.py(reference), ax.left + ax.width, ax.py(reference));
      g.setStroke(new BasicStroke(1f));
      int[] at = legend(g, legendX, legendY, ax.left, ax.left + ax.width, Color.GRAY, referenceName);
      legendX = at[0];
      legendY = at[1];
    }
    int k = 0;
    for (Map.Entry<String, List<QualitySweep.Point>> e : lines.entrySet()) {
      Color c = COLORS[k++ % COLORS.length];
      g.setColor(c);
      g.setStroke(new BasicStroke(2f));
      Path2D path = new Path2D.Double();
      boolean first = true;
      for (QualitySweep.Point p : e.getValue()) {
        int x = ax.px(p.scale());
        int y = ax.py(value.applyAsDouble(p));
        if (first) {
          path.moveTo(x, y);
        } else {
          path.lineTo(x, y);
        }
        first = false;
        g.fillOval(x - 4, y - 4, 8, 8);
        if (p.scale() == QualitySweep.neutralScale(p.method()) && e.getValue().getFirst() == p) {
          g.setColor(Color.BLACK); // the shared unguided point
          g.drawOval(x - 5, y - 5, 10, 10);
          g.setColor(c);
        }
      }
      g.draw(path);
      g.setStroke(new BasicStroke(1f));
      int[] at = legend(g, legendX, legendY, ax.left, ax.left + ax.width, c, e.getKey());
      legendX = at[0];
      legendY = at[1];
    }
  }

  /**
   * One legend entry at (x, y), on the next row (from {@code left}) when it would pass {@code right};
   * returns where the next one starts, {x, y}.
   */
  private static int[] legend(Graphics2D g, int x, int y, int left, int right, Color c, String name) {
    int width = 24 + g.getFontMetrics().stringWidth(name);
    if (x > left && x + width > right) {
      x = left;
      y += 15;
    }
    g.setColor(c);
    g.fillRect(x, y - 6, 18, 4);
    g.setColor(Color.BLACK);
    g.drawString(name, x + 24, y);
    return new int[] {x + width + 18, y};
  }

  private record Axis(double x0, double x1, double y0, double y1, int left, int top, int width, int height) {
    int px(double x) {
      return left + (int) Math.round((x - x0) / (x1 - x0) * width);
    }

    int py(double y) {
      return top + height - (int) Math.round((y - y0) / (y1 - y0) * height);
    }
  }

  /** 3 to 10 round tick values covering [lo, hi]. */
  static double[] ticks(double lo, double hi) {
    if (!(hi > lo)) {
      double pad = Math.max(Math.abs(lo) * 0.05, 0.5);
      lo -= pad;
      hi += pad;
    }
    double raw = (hi - lo) / 5;
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    double step = mag;
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * mag >= raw) {
        step = m * mag;
        break;
      }
    }
    double first = Math.floor(lo / step + 1e-9) * step; // 1e-9: 1.0 / 0.1 is a hair above 10
    double last = Math.ceil(hi / step - 1e-9) * step;
    int count = (int) Math.round((last - first) / step) + 1;
    double[] t = new double[count];
    for (int i = 0; i < count; i++) {
      t[i] = first + i * step;
    }
    return t;
  }

  private static String label(double v) {
    String s = String.format(Locale.ROOT, "%.3f", v);
    return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
  }
}
