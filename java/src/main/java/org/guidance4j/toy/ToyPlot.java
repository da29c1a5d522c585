package org.guidance4j.toy;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The toy comparison as one picture, a panel per sample set, drawn like EDM2's toy figure: the
 * region where the two-class density is within e^−4.49 of its peak in grey, class A's in orange,
 * the samples as translucent black dots, samples below the outlier threshold in red.
 */
public final class ToyPlot {
  /** EDM2's first-row view: centre (0.3, 0.3), half-width 1.2. */
  static final double CX = 0.30;
  static final double CY = 0.30;
  static final double HALF = 1.2;
  /** EDM2's outline level: log p within 2.12² of the maximum over the view. */
  static final double OUTLINE = 2.12 * 2.12;
  static final int PANEL = 360;
  static final int TITLE = 46;
  static final int PAD = 8;

  private ToyPlot() {}

  /** One panel: its title, a second line (the metrics), the points {x0, y0, ...}. */
  public record Panel(String title, String subtitle, double[] points) {}

  public static BufferedImage draw(List<Panel> panels, double threshold) {
    int[] background = background();
    int width = PAD + panels.size() * (PANEL + PAD);
    BufferedImage img = new BufferedImage(width, TITLE + PANEL + PAD, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    ToyMixture truth = ToyMixture.classA();
    BufferedImage bg = new BufferedImage(PANEL, PANEL, BufferedImage.TYPE_INT_RGB);
    bg.setRGB(0, 0, PANEL, PANEL, background, 0, PANEL);
    for (int p = 0; p < panels.size(); p++) {
      Panel panel = panels.get(p);
      int x0 = PAD + p * (PANEL + PAD);
      g.drawImage(bg, x0, TITLE, null);
      g.setColor(Color.GRAY);
      g.setStroke(new BasicStroke(1));
      g.drawRect(x0, TITLE, PANEL - 1, PANEL - 1);
      double[] pts = panel.points();
      int n = pts.length / 2;
      boolean[] outlier = new boolean[n];
      IntStream.range(0, n).parallel().forEach(i -> outlier[i] = truth.logDensity(pts[2 * i], pts[2 * i + 1], 0) < threshold);
      g.setClip(x0, TITLE, PANEL, PANEL);
      Color dot = new Color(0, 0, 0, 50);
      Color red = new Color(220, 20, 20, 170);
      for (int pass = 0; pass < 2; pass++) {
        g.setColor(pass == 0 ? dot : red);
        double r = pass == 0 ? 1.4 : 1.8;
        for (int i = 0; i < n; i++) {
          if (outlier[i] == (pass == 1)) {
            g.fill(new Ellipse2D.Double(x0 + px(pts[2 * i]) - r, TITLE + py(pts[2 * i + 1]) - r, 2 * r, 2 * r));
          }
        }
      }
      g.setClip(null);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
      g.drawString(panel.title(), x0 + 2, 19);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      g.drawString(panel.subtitle(), x0 + 2, 38);
    }
    g.dispose();
    return img;
  }

  static double px(double x) {
    return (x - (CX - HALF)) / (2 * HALF) * PANEL;
  }

  static double py(double y) {
    return PANEL - (y - (CY - HALF)) / (2 * HALF) * PANEL;
  }

  /** The shaded regions of both classes and of class A, one pixel at a time. */
  static int[] background() {
    ToyMixture both = ToyMixture.both();
    ToyMixture a = ToyMixture.classA();
    double[] lpBoth = new double[PANEL * PANEL];
    double[] lpA = new double[PANEL * PANEL];
    IntStream.range(0, PANEL * PANEL).parallel().forEach(i -> {
      double x = CX - HALF + (i % PANEL + 0.5) / PANEL * 2 * HALF;
      double y = CY + HALF - (i / PANEL + 0.5) / PANEL * 2 * HALF;
      lpBoth[i] = both.logDensity(x, y, 0);
      lpA[i] = a.logDensity(x, y, 0);
    });
    double maxBoth = max(lpBoth);
    double maxA = max(lpA);
    int[] rgb = new int[PANEL * PANEL];
    for (int i = 0; i < rgb.length; i++) {
      if (lpA[i] >= maxA - OUTLINE) {
        rgb[i] = 0xFFCC99;
      } else if (lpBoth[i] >= maxBoth - OUTLINE) {
        rgb[i] = 0xE6E6E6;
      } else {
        rgb[i] = 0xFFFFFF;
      }
    }
    return rgb;
  }

  private static double max(double[] v) {
    double m = Double.NEGATIVE_INFINITY;
    for (double e : v) {
      m = Math.max(m, e);
    }
    return m;
  }
}
