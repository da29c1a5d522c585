package org.guidance4j.mixture;

import java.util.Arrays;
import org.guidance4j.core.Device;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.diffusion.schedule.BetaSchedule;
import org.guidance4j.diffusion.schedule.DiscreteDiffusion;
import org.guidance4j.diffusion.schedule.DiscreteSigmas;
import org.guidance4j.diffusion.schedule.Prediction;

/**
 * The exact eps "network" of a {@link GaussianMixture} on guided-diffusion's linear 1000-step
 * schedule: at timestep t (real-valued, as the EDM sampler's denoiser view passes it) the noise
 * level is sigma(t) = {@link DiscreteSigmas#sigmaAt} (the inverse of the sampler's t(sigma)), so
 * abar = 1 / (1 + sigma^2) and eps = -sqrt(1 - abar) grad log p_t(x): the best possible predictor,
 * computed in double from the CPU tensor and stored as float.
 *
 * <p>Conditional: label c in [0, numClasses) selects class c's components, label numClasses (the
 * null class) the whole mixture, so classifier-free guidance works on it. Unconditional
 * ({@code conditional = false}): the whole mixture, no labels.
 */
final class MixtureModel implements DiffusionModel {
  private final GaussianMixture mixture;
  private final long[] sampleShape;
  private final boolean conditional;
  private final Prediction prediction;
  private final DiscreteDiffusion diffusion = new DiscreteDiffusion(BetaSchedule.LINEAR.betas(1000));
  private final DiscreteSigmas sigmas = new DiscreteSigmas(diffusion);
  private long evaluations;
  private GaussianMixture perturbed; // what a "perturbed-attention" forward evaluates, or null

  MixtureModel(GaussianMixture mixture, long[] sampleShape, boolean conditional) {
    this(mixture, sampleShape, conditional, Prediction.EPSILON);
  }

  /** The same exact model reporting x0 or v (computed in double from the exact eps) instead of eps. */
  MixtureModel(GaussianMixture mixture, long[] sampleShape, boolean conditional, Prediction prediction) {
    this.prediction = prediction;
    if (sampleShape[0] * sampleShape[1] * sampleShape[2] != mixture.dim) {
      throw new IllegalArgumentException("shape " + Arrays.toString(sampleShape) + " does not hold " + mixture.dim);
    }
    this.mixture = mixture;
    this.sampleShape = sampleShape.clone();
    this.conditional = conditional;
  }

  GaussianMixture mixture() {
    return mixture;
  }

  /**
   * This model with a stand-in for perturbed-attention guidance's perturbed version: rows that a
   * forward perturbs are evaluated under {@code perturbed} (e.g. the broadened mixture, the kind
   * of "bad version" autoguidance uses), through one layer named {@link #LAYER}.
   */
  MixtureModel withPerturbation(GaussianMixture perturbed) {
    MixtureModel m = new MixtureModel(mixture, sampleShape, conditional, prediction);
    m.perturbed = perturbed;
    return m;
  }

  static final String LAYER = "mixture.attention";

  @Override
  public java.util.List<String> attentionLayers() {
    return perturbed == null ? java.util.List.of() : java.util.List.of(LAYER);
  }

  @Override
  public java.util.List<String> middleAttentionLayers() {
    return attentionLayers();
  }

  @Override
  public Tensor forward(Tensor x, float[] timesteps, long[] labels, org.guidance4j.nn.PerturbedAttention p) {
    if (p == null) {
      return forward(x, timesteps, labels);
    }
    if (perturbed == null) {
      throw new UnsupportedOperationException("this mixture model has no perturbed version");
    }
    p.resolve(attentionLayers(), middleAttentionLayers());
    return evaluate(x, timesteps, labels, p.fromRow(), p.toRow());
  }

  /** abar of the (possibly fractional) network timestep t. */
  double abar(double t) {
    double sigma = sigmas.sigmaAt(t);
    return 1 / (1 + sigma * sigma);
  }

  /** Samples evaluated so far (each row of each forward). */
  long evaluations() {
    return evaluations;
  }

  @Override
  public Device device() {
    return Device.cpu();
  }

  @Override
  public long[] sampleShape() {
    return sampleShape.clone();
  }

  @Override
  public int numClasses() {
    return conditional ? mixture.numClasses : 0;
  }

  @Override
  public long nullClass() {
    return conditional ? mixture.numClasses : -1;
  }

  @Override
  public float noiseInput(double sigma) {
    return (float) sigmas.fractionalTimestep(sigma);
  }

  @Override
  public Prediction prediction() {
    return prediction;
  }

  @Override
  public boolean learnedSigma() {
    return false;
  }

  @Override
  public DiscreteDiffusion diffusion() {
    return diffusion;
  }

  @Override
  public Tensor forward(Tensor x, float[] timesteps, long[] labels) {
    return evaluate(x, timesteps, labels, 0, 0);
  }

  /** The exact outputs; rows [from, to) under the perturbed mixture. */
  private Tensor evaluate(Tensor x, float[] timesteps, long[] labels, long from, long to) {
    int n = (int) x.dim(0);
    int dim = mixture.dim;
    if (conditional != (labels != null)) {
      throw new InvalidArgumentException("MixtureModel", "labels must be given iff the model is conditional");
    }
    float[] in = x.toFloatArray();
    float[] out = new float[in.length];
    double[] row = new double[dim];
    for (int i = 0; i < n; i++) {
      for (int d = 0; d < dim; d++) {
        row[d] = in[i * dim + d];
      }
      int label = labels == null || labels[i] == mixture.numClasses ? -1 : (int) labels[i];
      double abar = abar(timesteps[i]);
      GaussianMixture m = i >= from && i < to ? perturbed : mixture;
      double[] eps = m.eps(row, abar, m.viewWeights(label));
      for (int d = 0; d < dim; d++) {
        double x0 = (row[d] - Math.sqrt(1 - abar) * eps[d]) / Math.sqrt(abar);
        double value =
            switch (prediction) {
              case EPSILON -> eps[d];
              case START_X -> x0;
              case VELOCITY -> Math.sqrt(abar) * eps[d] - Math.sqrt(1 - abar) * x0;
            };
        out[i * dim + d] = (float) value;
      }
    }
    evaluations += n;
    return Tensor.fromArray(x.device(), out, x.shape());
  }

  @Override
  public void close() {}
}
