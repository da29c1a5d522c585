package org.guidance4j.toy;

import java.util.ArrayList;
import java.util.List;

/** The toy comparison as a Markdown table, one row per sample set, grouped by method. */
public final class ToyReport {
  private ToyReport() {}

  public static String markdown(ToyComparison.Result r) {
    StringBuilder s = new StringBuilder();
    s.append("# Autoguidance 2-D toy: class A of EDM2's fractal-tree mixture\n\n");
    s.append(String.format(
        "%d samples per row, seed %d. Sampler: Heun, %d steps, sigma %s to 0.002, rho 7, no churn, starting from "
            + "y + %s n with y drawn from class A (EDM2's toy); every row starts from the same points. Models: %s. "
            + "Outliers: log p_A(x) < %.4f, the 1%% quantile of log p_A over independent ground-truth samples. "
            + "Took %.0f s.%n%n",
        r.samples(), r.seed(), ToyComparison.STEPS, ToyComparison.fmt(ToyComparison.SIGMA_MAX),
        ToyComparison.fmt(ToyComparison.SIGMA_MAX), r.models(), r.threshold(), r.seconds()));
    s.append("| method | w | mean log p_A | outliers | branches covered | tips covered | branch overlap |\n");
    s.append("|---|---:|---:|---:|---:|---:|---:|\n");
    for (ToyComparison.Run run : ordered(r.runs())) {
      ToyMetrics m = run.metrics();
      boolean unguided = run.method().ordinal() <= ToyComparison.Method.NONE.ordinal();
      s.append(String.format(
          "| %s | %s | %.3f | %.2f%% | %.1f%% | %.1f%% | %.3f |%n",
          run.method().label, unguided ? "-" : ToyComparison.fmt(run.w()), m.meanLogDensity(), 100 * m.outlierShare(),
          100 * m.branchCoverage(), 100 * m.tipCoverage(), m.overlap()));
    }
    s.append("""

        - ground truth: direct samples of class A; exact denoiser: the true distribution's closed-form \
        denoiser through the same sampler from the same start points (what a perfect network gives).
        - CFG: D = D_uncond + w (D_main - D_uncond), the guide a separate model of both classes (EDM2's toy: \
        smaller and trained less); truncation: D = x + w (D_main - x), the main model's score times w \
        (temperature 1/w); autoguidance: D = D_weak + w (D_main - D_weak).
        - mean log p_A: fidelity (higher: nearer the branches' cores). outliers: share of samples below the \
        threshold. Over the other samples, each assigned to the branch of its most responsible component: \
        branches covered = share of the 127 branches holding at least 0.25 x their expected count; tips covered \
        = the same over the 64 outermost branches (about 0.1% of the mass each); branch overlap = \
        sum over branches of min(sample share, true mass) = 1 - total variation distance (1: every branch \
        gets its due).
        """);
    return s.toString();
  }

  static List<ToyComparison.Run> ordered(List<ToyComparison.Run> runs) {
    List<ToyComparison.Run> out = new ArrayList<>();
    for (ToyComparison.Method m : ToyComparison.Method.values()) {
      runs.stream().filter(r -> r.method() == m).forEach(out::add);
    }
    return out;
  }
}
