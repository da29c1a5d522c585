package org.guidance4j.eval;

import java.util.Objects;
import java.util.function.Consumer;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.nn.adm.AdmClassifier;
import org.guidance4j.sampling.Progress;
import org.guidance4j.sampling.Sampler;
import org.guidance4j.sampling.SamplingRun;

/**
 * Measures guided sampling the way the guidance papers do, at toy scale: for each setting, n
 * samples (classes balanced, the same seed in every setting, so settings differ only by their
 * guidance) judged by a classifier: accuracy, the share classified as the class asked for
 * (fidelity), and the Fréchet distance between the classifier's features of the samples and of
 * real held-out images (quality and diversity together: too little guidance gives off-class or
 * malformed images, too much collapses each class to a few typical ones; both raise it).
 */
public final class QualitySweep {
  /**
   * One measured setting.
   *
   * @param spread the samples' within-class spread relative to the real images' (1: as varied as
   *     real digits of a class; below 1: less varied): the sum over classes of the trace of each
   *     class's feature covariance, samples over real images
   * @param seconds sampling and measuring wall time
   */
  public record Point(String method, double scale, double accuracy, double frechet, double spread, double seconds) {}

  private final DiffusionModel model;
  private final Sampler sampler;
  private final AdmClassifier classifier;
  private final int n;
  private final long seed;
  private final int batch;
  private final long[] labels;
  private final Gaussian reference;
  private final double referenceAccuracy;
  private final double referenceHalves;
  private final double referenceSpread;
  private Consumer<Progress> listener = p -> {};

  /**
   * @param n samples per setting (a multiple of the class count keeps the classes exactly balanced)
   * @param batch samples per sampling batch and per classifier call
   */
  public QualitySweep(
      DiffusionModel model, Sampler sampler, AdmClassifier classifier, RealImages real, int n, long seed, int batch) {
    if (model.numClasses() == 0) {
      throw new IllegalArgumentException("the sweep needs a class-conditional model (it measures class accuracy)");
    }
    if (classifier.config().outChannels() != model.numClasses()) {
      throw new IllegalArgumentException(
          "the classifier predicts " + classifier.config().outChannels() + " classes but the model has "
              + model.numClasses());
    }
    if (n < 2 || batch < 1) {
      throw new IllegalArgumentException("need n >= 2 samples per setting and batch >= 1, got " + n + " and " + batch);
    }
    this.model = model;
    this.sampler = Objects.requireNonNull(sampler);
    this.classifier = classifier;
    this.n = n;
    this.seed = seed;
    this.batch = batch;
    long[] all = new long[model.numClasses()];
    for (int c = 0; c < all.length; c++) {
      all[c] = c;
    }
    this.labels = SamplingRun.classes(n, all);
    ClassifierFeatures f;
    try (Tensor x = real.tensor()) {
      f = ClassifierFeatures.of(classifier, x, batch);
    }
    this.reference = Gaussian.fit(f.features());
    this.referenceAccuracy = f.accuracy(real.labels());
    this.referenceHalves = halves(f.features());
    this.referenceSpread = withinClassSpread(f.features(), real.labels(), model.numClasses());
  }

  /** Sum over classes of tr(covariance of the class's feature rows); classes with fewer than 2 rows add 0. */
  static double withinClassSpread(double[][] rows, long[] labels, int classes) {
    double total = 0;
    for (int c = 0; c < classes; c++) {
      int count = 0;
      for (long y : labels) {
        count += y == c ? 1 : 0;
      }
      if (count < 2) {
        continue;
      }
      double[][] mine = new double[count][];
      int k = 0;
      for (int i = 0; i < rows.length; i++) {
        if (labels[i] == c) {
          mine[k++] = rows[i];
        }
      }
      total += FrechetDistance.trace(Gaussian.fit(mine).cov());
    }
    return total;
  }

  /** The distance between the even- and the odd-numbered real images: what sampling noise alone gives. */
  private static double halves(double[][] rows) {
    double[][] even = new double[(rows.length + 1) / 2][];
    double[][] odd = new double[rows.length / 2][];
    for (int i = 0; i < rows.length; i++) {
      (i % 2 == 0 ? even : odd)[i / 2] = rows[i];
    }
    return odd.length < 2 ? Double.NaN : FrechetDistance.between(even, odd);
  }

  public QualitySweep listener(Consumer<Progress> l) {
    this.listener = Objects.requireNonNull(l);
    return this;
  }

  /** The classifier's accuracy on the real images: the ceiling a sample set can be judged against. */
  public double referenceAccuracy() {
    return referenceAccuracy;
  }

  /**
   * The Fréchet distance between two halves of the real images: a distance that comes from the
   * finite sample alone (with half the real images on each side, so somewhat above the floor of a
   * sample set of n against all of them).
   */
  public double referenceHalves() {
    return referenceHalves;
  }

  /** The scale at which each method is the unguided conditional model ("none"). */
  public static double neutralScale(String method) {
    return switch (method) {
      case "cfg", "auto", "apg", "cfg-rescale" -> 1.0;
      default -> 0.0;
    };
  }

  public Point measure(String method, double scale, Guidance guidance) {
    return measure(method, scale, guidance, sampler);
  }

  /** One setting with another sampler than the sweep's (the step-count comparison). */
  public Point measure(String method, double scale, Guidance guidance, Sampler sampler) {
    long start = System.nanoTime();
    ClassifierFeatures f;
    try (Tensor samples =
        SamplingRun.of(model).sampler(sampler).guidance(guidance).batch(batch).listener(listener).sample(n, labels, seed)) {
      f = ClassifierFeatures.of(classifier, samples, batch);
    }
    double fd = FrechetDistance.between(Gaussian.fit(f.features()), reference);
    double spread = withinClassSpread(f.features(), labels, model.numClasses()) / referenceSpread;
    return new Point(method, scale, f.accuracy(labels), fd, spread, (System.nanoTime() - start) / 1e9);
  }
}
