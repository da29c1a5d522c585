package org.guidance4j.eval;

import java.util.List;
import java.util.Locale;

/** A sweep's points as a Markdown table, with the real images' accuracy as the first row. */
public final class QualityTable {
  private QualityTable() {}

  /**
   * @param referenceHalves the distance between two halves of the real images (NaN: no such row)
   */
  public static String markdown(
      List<QualitySweep.Point> points, double referenceAccuracy, int referenceCount, double referenceHalves) {
    StringBuilder b = new StringBuilder();
    b.append("| method | scale | accuracy | Fréchet distance | within-class spread | seconds |\n");
    b.append("|---|---:|---:|---:|---:|---:|\n");
    b.append(String.format(
        Locale.ROOT, "| held-out real images (%d) | | %.3f | 0 (the reference) | 1 (the reference) | |%n",
        referenceCount, referenceAccuracy));
    if (!Double.isNaN(referenceHalves)) {
      b.append(String.format(
          Locale.ROOT, "| real images, one half against the other (%d vs %d) | | | %.3f | | |%n",
          (referenceCount + 1) / 2, referenceCount / 2, referenceHalves));
    }
    for (QualitySweep.Point p : points) {
      String scale = p.method().equals("none") ? "" : String.format(Locale.ROOT, "%g", p.scale()).replaceAll("\\.?0+$", "");
      b.append(String.format(
          Locale.ROOT, "| %s | %s | %.3f | %.3f | %.2f | %.0f |%n",
          p.method(), scale, p.accuracy(), p.frechet(), p.spread(), p.seconds()));
    }
    return b.toString();
  }

  /** One row of the step-count comparison: a sampler at a number of steps. */
  public record StepRow(String sampler, int steps, int evaluations, QualitySweep.Point point) {}

  /**
   * The step-count comparison as a Markdown table: evaluations are the guided denoiser's per
   * sample (each counts once however many network rows its guidance runs).
   */
  public static String stepsMarkdown(List<StepRow> rows, String guidance) {
    StringBuilder b = new StringBuilder();
    b.append("| sampler (guidance ").append(guidance).append(") | steps | denoiser evaluations | accuracy | Fréchet distance | within-class spread | seconds |\n");
    b.append("|---|---:|---:|---:|---:|---:|---:|\n");
    for (StepRow r : rows) {
      QualitySweep.Point p = r.point();
      b.append(String.format(
          Locale.ROOT, "| %s | %d | %d | %.3f | %.3f | %.2f | %.0f |%n",
          r.sampler(), r.steps(), r.evaluations(), p.accuracy(), p.frechet(), p.spread(), p.seconds()));
    }
    return b.toString();
  }
}
