package org.guidance4j.diffusion;

import java.io.IOException;
import java.nio.file.Path;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.schedule.BetaSchedule;
import org.guidance4j.diffusion.schedule.DiscreteDiffusion;
import org.guidance4j.diffusion.schedule.DiscreteSigmas;
import org.guidance4j.diffusion.schedule.Prediction;
import org.guidance4j.io.ModelConfig;
import org.guidance4j.io.ModelConfigException;
import org.guidance4j.io.ModelFiles;
import org.guidance4j.nn.adm.AdmConfig;
import org.guidance4j.nn.PerturbedAttention;
import org.guidance4j.nn.adm.AdmUNet;

/**
 * A guided-diffusion U-Net with the diffusion flags of its config.json: noise_schedule,
 * diffusion_steps, learn_sigma, sigma_small, predict_xstart, rescale_timesteps (plus our
 * "prediction": "v" for v-prediction networks).
 */
public final class AdmModel implements DiffusionModel {
  private final AdmUNet net;
  private final DiscreteDiffusion diffusion;
  private final DiscreteSigmas sigmas;
  private final boolean sigmaSmall;
  private final Prediction prediction;
  private final float timeScale;

  private AdmModel(AdmUNet net, DiscreteDiffusion diffusion, boolean sigmaSmall, Prediction prediction, float timeScale) {
    this.net = net;
    this.diffusion = diffusion;
    this.sigmas = new DiscreteSigmas(diffusion);
    this.sigmaSmall = sigmaSmall;
    this.prediction = prediction;
    this.timeScale = timeScale;
  }

  public static AdmModel load(Path model, Device device, DType dtype) throws IOException {
    var config = ModelFiles.resolve(model).readConfig();
    Prediction prediction = prediction(config);
    BetaSchedule schedule = schedule(config);
    int steps = diffusionSteps(config);
    DiscreteDiffusion d = new DiscreteDiffusion(schedule.betas(steps));
    // guided-diffusion's rescale_timesteps feeds the network t * 1000 / diffusion_steps
    float timeScale = config.getBoolean("rescale_timesteps", false) ? 1000f / steps : 1f;
    // sigma_small is an argument of guided-diffusion's create_gaussian_diffusion (false in its scripts)
    return new AdmModel(
        AdmUNet.load(model, device, dtype), d, config.getBoolean("sigma_small", false), prediction, timeScale);
  }

  /**
   * Checks everything {@link #load} reads from {@code config} besides the checkpoint: the
   * architecture, the diffusion (schedule, steps, prediction). A bad value is a
   * {@link ModelConfigException} naming the key.
   */
  public static void validateConfig(ModelConfig config) {
    AdmConfig.from(config);
    if (AdmConfig.UNET.equals(config.kind())) {
      prediction(config);
      schedule(config);
      diffusionSteps(config);
      config.getBoolean("rescale_timesteps", false);
      config.getBoolean("sigma_small", false);
    }
  }

  /** Above this many training steps a config is surely wrong (guided-diffusion uses 1000 or 4000). */
  static final int MAX_DIFFUSION_STEPS = 100_000;

  static int diffusionSteps(ModelConfig config) {
    int steps = config.getInt("diffusion_steps", 1000);
    if (steps < 1 || steps > MAX_DIFFUSION_STEPS) {
      throw new ModelConfigException(
          config.source(), "diffusion_steps", "must be in [1, " + MAX_DIFFUSION_STEPS + "], got " + steps);
    }
    return steps;
  }

  static BetaSchedule schedule(ModelConfig config) {
    try {
      return BetaSchedule.named(config.getString("noise_schedule", "linear"));
    } catch (IllegalArgumentException e) {
      throw new ModelConfigException(config.source(), "noise_schedule", e.getMessage());
    }
  }

  /**
   * guided-diffusion's {@code predict_xstart} flag, or our {@code "prediction": "eps" | "x0" | "v"}
   * (v-prediction has no guided-diffusion flag); both given must agree.
   */
  static Prediction prediction(ModelConfig config) {
    boolean xstart = config.getBoolean("predict_xstart", false);
    if (!config.has("prediction")) {
      return xstart ? Prediction.START_X : Prediction.EPSILON;
    }
    String name = config.getString("prediction", "eps");
    Prediction p =
        switch (name) {
          case "eps" -> Prediction.EPSILON;
          case "x0" -> Prediction.START_X;
          case "v" -> Prediction.VELOCITY;
          default -> throw new ModelConfigException(
              config.source(), "prediction", "must be \"eps\", \"x0\" or \"v\", got \"" + name + "\"");
        };
    if (xstart && p != Prediction.START_X) {
      throw new ModelConfigException(
          config.source(), "prediction", "is \"" + name + "\" but predict_xstart is true");
    }
    return p;
  }

  public AdmUNet network() {
    return net;
  }

  @Override
  public Device device() {
    return net.device();
  }

  @Override
  public long[] sampleShape() {
    AdmConfig c = net.config();
    return new long[] {c.inChannels(), c.imageSize(), c.imageSize()};
  }

  @Override
  public int numClasses() {
    return net.config().numClasses();
  }

  @Override
  public long nullClass() {
    return net.config().nullClass() ? net.config().numClasses() : -1;
  }

  @Override
  public boolean learnedSigma() {
    return net.config().learnSigma();
  }

  @Override
  public boolean sigmaSmall() {
    return sigmaSmall;
  }

  @Override
  public DiscreteDiffusion diffusion() {
    return diffusion;
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
  public Tensor forward(Tensor x, float[] timesteps, long[] labels) {
    return forward(x, timesteps, labels, null);
  }

  @Override
  public java.util.List<String> attentionLayers() {
    return net.attentionLayers();
  }

  @Override
  public java.util.List<String> middleAttentionLayers() {
    return net.middleAttentionLayers();
  }

  @Override
  public Tensor forward(Tensor x, float[] timesteps, long[] labels, PerturbedAttention perturbation) {
    if (timeScale == 1f) {
      return net.forward(x, timesteps, labels, perturbation);
    }
    float[] scaled = new float[timesteps.length];
    for (int i = 0; i < scaled.length; i++) {
      scaled[i] = timesteps[i] * timeScale;
    }
    return net.forward(x, scaled, labels, perturbation);
  }

  @Override
  public void close() {
    net.close();
  }
}
