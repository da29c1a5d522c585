package org.guidance4j.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.diffusion.AdmModel;
import org.guidance4j.io.ModelConfig;
import org.guidance4j.io.ModelConfigException;
import org.guidance4j.io.ModelFiles;
import org.guidance4j.io.SafetensorsEntry;
import org.guidance4j.io.SafetensorsFile;
import org.guidance4j.nn.adm.AdmClassifier;
import org.guidance4j.nn.adm.AdmConfig;
import org.guidance4j.nn.edm2.Edm2Config;
import org.guidance4j.nn.edm2.Edm2Denoiser;

/** `guidance4j info`: what a checkpoint holds and the architecture its config implies. */
final class InfoCommand {
  private InfoCommand() {}

  static Options options() {
    return new Options("info", "Describes a model (guided-diffusion U-Net or classifier, or EDM2 denoiser): architecture, parameter count, dtypes, the config it implies.")
        .option("model", "dir", "a folder with config.json and one .safetensors file", null);
  }

  static int run(String[] args) throws Exception {
    Options o = options().parse(args);
    if (o.bool("help")) {
      System.out.print(o.help());
      return 0;
    }
    Path model = Path.of(o.required("model"));
    ModelFiles files = ModelFiles.resolve(model);
    ModelConfig config = files.readConfig();
    loadOnce(model, config);
    try (SafetensorsFile f = files.openCheckpoint()) {
      long params = 0;
      Map<String, Long> dtypes = new TreeMap<>();
      for (SafetensorsEntry e : f.entries()) {
        params += e.elementCount();
        dtypes.merge(e.dtype().name(), e.elementCount(), Long::sum);
      }
      System.out.println("checkpoint: " + files.checkpoint() + " (" + f.keys().size() + " tensors)");
      System.out.println("config:     " + files.config());
      System.out.printf("parameters: %,d (%.2f M)%n", params, params / 1e6);
      System.out.println("dtypes:     " + dtypes);
      System.out.println("kind:       " + config.kind());
      if (Edm2Config.KIND.equals(config.kind())) {
        describeEdm2(config, f);
        System.out.println("config keys: " + config.asMap());
        return 0;
      }
      AdmConfig a = AdmConfig.from(config);
      System.out.println("architecture (as loaded):");
      System.out.println("  image_size " + a.imageSize() + ", in_channels " + a.inChannels() + ", out_channels " + a.outChannels());
      System.out.println("  model_channels " + a.modelChannels() + ", channel_mult " + a.channelMult() + ", num_res_blocks " + a.numResBlocks());
      System.out.println("  attention at downsampling " + a.attentionDs() + " (num_heads " + a.numHeads() + ", num_head_channels " + a.numHeadChannels()
          + (a.useNewAttentionOrder() ? ", new attention order" : ", legacy attention order") + ")");
      System.out.println("  scale-shift norm " + a.useScaleShiftNorm() + ", resblock_updown " + a.resblockUpdown() + ", conv_resample " + a.convResample());
      if (AdmConfig.UNET.equals(a.kind())) {
        System.out.println("  classes " + (a.classConditional() ? a.numClasses() + (a.nullClass() ? " + null class " + a.numClasses() + " (classifier-free guidance)" : "") : "none (unconditional)")
            + ", learn_sigma " + a.learnSigma());
        System.out.println("  diffusion: " + config.getString("noise_schedule", "linear") + " schedule, " + config.getInt("diffusion_steps", 1000) + " steps");
      }
      System.out.println("config keys: " + config.asMap());
    }
    return 0;
  }

  /**
   * Loads the model on the CPU as sample and forward would (every tensor present with its shape,
   * finite weights, a config that builds), so that what follows is said of a model that loads:
   * one that cannot fails here with the same error.
   */
  private static void loadOnce(Path model, ModelConfig config) throws Exception {
    switch (config.kind()) {
      case AdmConfig.UNET -> AdmModel.load(model, Device.cpu(), DType.F32).close();
      case AdmConfig.CLASSIFIER -> AdmClassifier.load(model, Device.cpu(), DType.F32).close();
      case Edm2Config.KIND -> Edm2Denoiser.load(model, Device.cpu(), DType.F32).close();
      default ->
          throw new ModelConfigException(
              config.source(), "kind", "\"" + config.kind() + "\" is not a model guidance4j knows; expected \""
                  + AdmConfig.UNET + "\", \"" + AdmConfig.CLASSIFIER + "\" or \"" + Edm2Config.KIND + "\"");
    }
  }

  private static void describeEdm2(ModelConfig config, SafetensorsFile f) {
    Edm2Config c = Edm2Config.from(config);
    long logvar = 0;
    for (SafetensorsEntry e : f.entries()) {
      if (e.key().startsWith("logvar_")) {
        logvar += e.elementCount();
      }
    }
    System.out.println("architecture (as loaded): EDM2 magnitude-preserving U-Net with EDM preconditioning");
    System.out.println("  img_resolution " + c.imgResolution() + ", img_channels " + c.imgChannels()
        + ", classes " + (c.labelDim() > 0 ? c.labelDim() : "none (unconditional)") + ", sigma_data " + c.sigmaData());
    System.out.println("  model_channels " + c.modelChannels() + ", channel_mult " + c.channelMult() + " (channels "
        + c.blockChannels() + "), num_blocks " + c.numBlocks());
    System.out.println("  embedding " + c.embChannels() + " channels from " + c.noiseChannels() + " Fourier features");
    System.out.println("  attention at resolutions " + c.attnResolutions() + " and the lowest decoder block, "
        + c.channelsPerHead() + " channels per head");
    System.out.println("  balances: label " + c.labelBalance() + ", concat " + c.concatBalance() + ", res " + c.resBalance()
        + ", attn " + c.attnBalance() + "; clip_act " + (c.clipAct() == null ? "none" : c.clipAct()));
    if (logvar > 0) {
      System.out.printf("  uncertainty head (logvar_*): %,d parameters, not used for sampling%n", logvar);
    }
    System.out.println("  sampling: continuous-time (EDM samplers heun, euler); input sigma, output x0 = D(x; sigma, y)");
  }
}
