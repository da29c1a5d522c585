package org.guidance4j.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.guidance4j.io.ModelConfig;
import org.guidance4j.io.ModelFiles;
import org.guidance4j.io.SafetensorsEntry;
import org.guidance4j.io.SafetensorsFile;
import org.guidance4j.nn.adm.AdmConfig;

/** `guidance4j info`: what a checkpoint holds and the architecture its config implies. */
final class InfoCommand {
  private InfoCommand() {}

  static Options options() {
    return new Options("info", "Describes a model: architecture, parameter count, dtypes, the config it implies.")
        .option("model", "dir", "a folder with config.json and one .safetensors file", null);
  }

  static int run(String[] args) throws Exception {
    Options o = options().parse(args);
    if (o.bool("help")) {
      System.out.print(o.help());
      return 0;
    }
    ModelFiles files = ModelFiles.resolve(Path.of(o.required("model")));
    ModelConfig config = files.readConfig();
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
}
