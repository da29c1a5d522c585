package org.guidance4j.diffusion;

import java.io.IOException;
import java.nio.file.Path;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.schedule.BetaSchedule;
import org.guidance4j.diffusion.schedule.DiscreteDiffusion;
import org.guidance4j.diffusion.schedule.DiscreteSigmas;
import org.guidance4j.io.ModelFiles;
import org.guidance4j.nn.adm.AdmConfig;
import org.guidance4j.nn.adm.AdmUNet;

/** A guided-diffusion U-Net with the diffusion flags of its config.json (noise_schedule, diffusion_steps). */
public final class AdmModel implements DiffusionModel {
  private final AdmUNet net;
  private final DiscreteDiffusion diffusion;
  private final DiscreteSigmas sigmas;
  private final boolean sigmaSmall;

  private AdmModel(AdmUNet net, DiscreteDiffusion diffusion, boolean sigmaSmall) {
    this.net = net;
    this.diffusion = diffusion;
    this.sigmas = new DiscreteSigmas(diffusion);
    this.sigmaSmall = sigmaSmall;
  }

  public static AdmModel load(Path model, Device device, DType dtype) throws IOException {
    var config = ModelFiles.resolve(model).readConfig();
    if (config.getBoolean("predict_xstart", false)) {
      throw new IllegalArgumentException(config.source() + ": predict_xstart models are not supported yet");
    }
    if (config.getBoolean("rescale_timesteps", false)) {
      throw new IllegalArgumentException(config.source() + ": rescale_timesteps models are not supported yet");
    }
    BetaSchedule schedule = BetaSchedule.named(config.getString("noise_schedule", "linear"));
    DiscreteDiffusion d = new DiscreteDiffusion(schedule.betas(config.getInt("diffusion_steps", 1000)));
    // sigma_small is an argument of guided-diffusion's create_gaussian_diffusion (false in its scripts)
    return new AdmModel(AdmUNet.load(model, device, dtype), d, config.getBoolean("sigma_small", false));
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
  public Tensor forward(Tensor x, float[] timesteps, long[] labels) {
    return net.forward(x, timesteps, labels);
  }

  @Override
  public void close() {
    net.close();
  }
}
