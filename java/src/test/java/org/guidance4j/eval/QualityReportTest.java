package org.guidance4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QualityReportTest {
  static final List<QualitySweep.Point> POINTS = List.of(
      new QualitySweep.Point("none", 0, 0.8, 0.25, 1.1, 10),
      new QualitySweep.Point("cfg", 3, 0.99, 0.2, 0.7, 20),
      new QualitySweep.Point("cfg", 1.5, 0.9, 0.22, 0.9, 20),
      new QualitySweep.Point("classifier", 2, 0.97, 0.21, 0.8, 20),
      new QualitySweep.Point("auto", 2, 0.85, 0.24, 1.0, 20));

  @Test
  void eachGuidedLineStartsAtTheUnguidedPoint() {
    Map<String, List<QualitySweep.Point>> lines = QualityPlot.lines(POINTS);
    assertEquals(List.of("cfg", "classifier", "auto"), List.copyOf(lines.keySet()));
    List<QualitySweep.Point> cfg = lines.get("cfg");
    assertEquals(List.of(1.0, 1.5, 3.0), cfg.stream().map(QualitySweep.Point::scale).toList());
    assertEquals(0.8, cfg.getFirst().accuracy());
    assertEquals(0.0, lines.get("classifier").getFirst().scale());
    assertEquals(1.0, lines.get("auto").getFirst().scale());
  }

  @Test
  void withinClassSpreadIsTheSumOfPerClassTraces() {
    double[][] rows = {{0, 0}, {2, 0}, {5, 5}, {5, 9}, {100, 100}};
    long[] labels = {0, 0, 1, 1, 2};
    // class 0: var x = 2, var y = 0; class 1: var x = 0, var y = 8; class 2: one row, adds 0
    assertEquals(10, QualitySweep.withinClassSpread(rows, labels, 3), 1e-12);
  }

  @Test
  void ticksAreRoundAndCoverTheRange() {
    assertArrayEquals(new double[] {0, 2, 4, 6, 8}, QualityPlot.ticks(0, 8), 1e-12);
    double[] t = QualityPlot.ticks(0.77, 1.0);
    assertTrue(t[0] <= 0.77 && t[t.length - 1] >= 1.0 && t.length >= 3 && t.length <= 11);
    double[] flat = QualityPlot.ticks(0.5, 0.5);
    assertTrue(flat[0] < 0.5 && flat[flat.length - 1] > 0.5);
  }

  @Test
  void plotAndTable() {
    BufferedImage img = QualityPlot.plot(POINTS, 0.997, 0.05, "n = 10");
    assertTrue(img.getWidth() == 1040 && img.getHeight() > 400);
    String md = QualityTable.markdown(POINTS, 0.997, 359, 0.05);
    assertTrue(md.contains("| held-out real images (359) | | 0.997 |"), md);
    assertTrue(md.contains("| real images, one half against the other (180 vs 179) | | | 0.050 | | |"), md);
    assertTrue(md.contains("| none |  | 0.800 | 0.250 | 1.10 | 10 |"), md);
    assertTrue(md.contains("| cfg | 1.5 | 0.900 | 0.220 | 0.90 | 20 |"), md);
    assertEquals(2 + 2 + POINTS.size(), md.lines().count());
  }
}
