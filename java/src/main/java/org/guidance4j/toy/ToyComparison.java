package org.guidance4j.toy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.diffusion.schedule.EdmChurn;
import org.guidance4j.diffusion.schedule.EdmSchedule;
import org.guidance4j.guidance.Autoguidance;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.Unguided;
import org.guidance4j.sampling.EdmSampler;
import org.guidance4j.sampling.SamplingRun;

/**
 * The autoguidance paper's toy comparison (EDM2's toy_example.py): samples of class A from the
 * ground truth, the main model without guidance, with classifier-free guidance by a separate
 * unconditional model (EDM2's toy: smaller and trained less, on A and B), with naive truncation
 * (the score times w, {@link FlatDenoiser}), and with autoguidance by the weak model, over a sweep of
 * w, each judged by {@link ToyMetrics}.
 *
 * <p>Sampling as in EDM2's toy: Heun, 32 steps, sigma from 5 down to 0.002 with rho 7, no churn,
 * starting from points of the true class-A distribution blurred by sigma_max (y + 5 n), the same
 * points for every method and w. The outlier threshold comes from independent ground-truth samples.
 */
public final class ToyComparison {
  public static final double SIGMA_MAX = 5;
  public static final int STEPS = 32;

  /** The methods in table order. */
  public enum Method {
    GROUND_TRUTH("ground truth"),
    EXACT("exact denoiser"),
    NONE("no guidance"),
    CFG("CFG"),
    TRUNCATION("truncation"),
    AUTO("autoguidance");

    public final String label;

    Method(String label) {
      this.label = label;
    }
  }

  /** One sample set: its points {x0, y0, ...} and metrics; w is 1 for the unguided rows. */
  public record Run(Method method, double w, double[] points, ToyMetrics metrics) {}

  /** Everything the table and the plot need. */
  public record Result(int samples, long seed, double threshold, List<Run> runs, String models, double seconds) {
    public Run find(Method m, double w) {
      return runs.stream().filter(r -> r.method() == m && (r.w() == w || m.ordinal() <= Method.NONE.ordinal())).findFirst().orElse(null);
    }
  }

  private ToyComparison() {}

  /** The EDM2 toy's sampler: Heun, 32 steps, sigma 5 .. 0.002, rho 7, no churn. */
  public static EdmSampler sampler() {
    return new EdmSampler(true, new EdmSchedule(EdmSchedule.EDM2_SIGMA_MIN, SIGMA_MAX, EdmSchedule.EDM2_RHO, STEPS), EdmChurn.EDM2_DEFAULTS);
  }

  /**
   * Runs the comparison with the models main/, weak/, uncond/ of {@code models}.
   *
   * @param ws the guidance weights of the sweep (w = 1 is the unguided model)
   */
  public static Result run(Path models, Device device, int samples, long seed, double[] ws, Consumer<String> log) throws IOException {
    long start = System.nanoTime();
    ToyMixture truth = ToyMixture.classA();
    double threshold = ToyMetrics.threshold(truth, truth.sample(Math.max(samples, 65536), 0, seed ^ 0x5DEECE66DL));
    List<Run> runs = new ArrayList<>();
    double[] direct = truth.sample(samples, 0, seed + 1);
    runs.add(new Run(Method.GROUND_TRUTH, 1, direct, ToyMetrics.of(truth, direct, threshold)));
    float[] init = new float[2 * samples];
    double[] y = truth.sample(samples, SIGMA_MAX, seed);
    for (int i = 0; i < init.length; i++) {
      init[i] = (float) (y[i] / SIGMA_MAX); // the sampler multiplies its unit-variance start by sigma_max
    }
    try (ToyMlp main = ToyMlp.load(models.resolve("main"), device);
        ToyMlp weak = ToyMlp.load(models.resolve("weak"), device);
        ToyMlp uncond = ToyMlp.load(models.resolve("uncond"), device);
        Tensor x0 = Tensor.fromArray(device, init, samples, 2, 1, 1)) {
      ExactDenoiser exact = new ExactDenoiser(truth);
      runs.add(sample(Method.EXACT, 1, exact, new Unguided(exact), x0, samples, seed, truth, threshold, log));
      runs.add(sample(Method.NONE, 1, main, new Unguided(main), x0, samples, seed, truth, threshold, log));
      FlatDenoiser flat = new FlatDenoiser();
      for (double w : ws) {
        runs.add(sample(Method.CFG, w, main, new Autoguidance(main, uncond, w), x0, samples, seed, truth, threshold, log));
        runs.add(sample(Method.TRUNCATION, w, main, new Autoguidance(main, flat, w), x0, samples, seed, truth, threshold, log));
        runs.add(sample(Method.AUTO, w, main, new Autoguidance(main, weak, w), x0, samples, seed, truth, threshold, log));
      }
      String desc = String.format(
          "main: class %s, hidden %d; weak: class %s, hidden %d; uncond: classes %s, hidden %d",
          main.classes(), main.hidden(), weak.classes(), weak.hidden(), uncond.classes(), uncond.hidden());
      return new Result(samples, seed, threshold, runs, desc, (System.nanoTime() - start) / 1e9);
    }
  }

  private static Run sample(
      Method m, double w, DiffusionModel model, Guidance g, Tensor x0, int n, long seed, ToyMixture truth, double threshold, Consumer<String> log) {
    long t = System.nanoTime();
    double[] points;
    try (Tensor out = SamplingRun.of(model).sampler(sampler()).guidance(g).batch(n).initialNoise(x0).sample(n, null, seed)) {
      float[] f = out.toFloatArray();
      points = new double[f.length];
      for (int i = 0; i < f.length; i++) {
        points[i] = f[i];
      }
    }
    ToyMetrics metrics = ToyMetrics.of(truth, points, threshold);
    log.accept(String.format(
        "%-15s w=%-4s mean log p %7.3f, outliers %5.2f%%, branches %5.1f%%, tips %5.1f%%, overlap %.3f (%.1f s)",
        m.label, fmt(w), metrics.meanLogDensity(), 100 * metrics.outlierShare(), 100 * metrics.branchCoverage(),
        100 * metrics.tipCoverage(), metrics.overlap(), (System.nanoTime() - t) / 1e9));
    return new Run(m, w, points, metrics);
  }

  static String fmt(double w) {
    return w == Math.rint(w) ? String.valueOf((long) w) : String.valueOf(w);
  }
}
