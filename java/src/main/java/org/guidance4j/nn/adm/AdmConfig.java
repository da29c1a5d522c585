package org.guidance4j.nn.adm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.guidance4j.io.ModelConfig;

/**
 * An ADM network's architecture from config.json, under guided-diffusion's own flag names and
 * defaults (model_and_diffusion_defaults / classifier_defaults), plus the keys guided-diffusion
 * hard-codes and we expose: num_classes, null_class, conv_resample, classifier_channel_mult,
 * classifier_num_head_channels, in_channels (3 in guided-diffusion; 1 for grey data, the output
 * then has 1 or, with learn_sigma, 2 channels). tools/adm_reference.py is the Python twin of this
 * class.
 *
 * @param attentionDs downsampling factors that get attention (image_size / each resolution)
 */
public record AdmConfig(
    String kind,
    int imageSize,
    int inChannels,
    int modelChannels,
    int outChannels,
    int numResBlocks,
    List<Integer> attentionDs,
    List<Double> channelMult,
    boolean convResample,
    int numClasses, // 0: unconditional
    boolean nullClass,
    int numHeads,
    int numHeadChannels,
    int numHeadsUpsample,
    boolean useScaleShiftNorm,
    boolean resblockUpdown,
    boolean useNewAttentionOrder,
    boolean learnSigma,
    boolean useFp16) {

  public static final String UNET = "adm_unet";
  public static final String CLASSIFIER = "adm_classifier";

  public boolean classConditional() {
    return numClasses > 0;
  }

  /** Rows of label_emb: num_classes, plus the null-class row of CFG-trained models. */
  public int labelRows() {
    return numClasses + (nullClass ? 1 : 0);
  }

  public static AdmConfig from(ModelConfig c) {
    String kind = c.kind();
    int size = c.getInt("image_size", 64);
    int in = c.getInt("in_channels", 3);
    if (in < 1) {
      throw new IllegalArgumentException(c.source() + ": in_channels must be >= 1, got " + in);
    }
    if (CLASSIFIER.equals(kind)) {
      return new AdmConfig(
          kind, size, in, c.getInt("classifier_width", 128), c.getInt("num_classes", 1000),
          c.getInt("classifier_depth", 2),
          attentionDs(c, "classifier_attention_resolutions", "32,16,8", size),
          channelMult(c, "classifier_channel_mult", size),
          c.getBoolean("conv_resample", true), 0, false, 1,
          c.getInt("classifier_num_head_channels", 64), -1,
          c.getBoolean("classifier_use_scale_shift_norm", true),
          c.getBoolean("classifier_resblock_updown", true), false, false,
          c.getBoolean("classifier_use_fp16", false));
    }
    if (!UNET.equals(kind)) {
      throw new IllegalArgumentException(
          c.source() + ": \"kind\" must be \"" + UNET + "\" or \"" + CLASSIFIER + "\", got " + kind);
    }
    String pool = c.getString("classifier_pool", "attention");
    if (!"attention".equals(pool)) {
      throw new IllegalArgumentException(c.source() + ": classifier_pool \"" + pool + "\" is not supported (only \"attention\")");
    }
    boolean classCond = c.getBoolean("class_cond", false);
    boolean learnSigma = c.getBoolean("learn_sigma", false);
    int numHeads = c.getInt("num_heads", 4);
    int upsample = c.getInt("num_heads_upsample", -1);
    return new AdmConfig(
        kind, size, in, c.getInt("num_channels", 128), learnSigma ? 2 * in : in, c.getInt("num_res_blocks", 2),
        attentionDs(c, "attention_resolutions", "16,8", size), channelMult(c, "channel_mult", size),
        c.getBoolean("conv_resample", true), classCond ? c.getInt("num_classes", 1000) : 0,
        classCond && c.getBoolean("null_class", false), numHeads, c.getInt("num_head_channels", -1),
        upsample == -1 ? numHeads : upsample, c.getBoolean("use_scale_shift_norm", true),
        c.getBoolean("resblock_updown", false), c.getBoolean("use_new_attention_order", false),
        learnSigma, c.getBoolean("use_fp16", false));
  }

  private static List<Integer> attentionDs(ModelConfig c, String key, String def, int size) {
    List<Integer> res = c.getIntList(key, parseInts(def));
    List<Integer> ds = new ArrayList<>();
    for (int r : res) {
      if (r <= 0 || size % r != 0) {
        throw new IllegalArgumentException(c.source() + ": " + key + " entry " + r + " does not divide image_size " + size);
      }
      ds.add(size / r);
    }
    return List.copyOf(ds);
  }

  /** channel_mult as guided-diffusion: "" means its table by image size (512 has a 0.5). */
  private static List<Double> channelMult(ModelConfig c, String key, int size) {
    Object raw = c.asMap().get(key);
    List<Double> out = new ArrayList<>();
    if (raw instanceof List<?> list) {
      for (Object o : list) {
        out.add(((Number) o).doubleValue());
      }
    } else if (raw instanceof String s && !s.isBlank()) {
      for (String part : s.split(",")) {
        out.add(Double.parseDouble(part.strip()));
      }
    } else if (raw != null && !(raw instanceof String)) {
      throw new IllegalArgumentException(c.source() + ": " + key + " must be a list or a string like \"1,2,2\"");
    }
    if (!out.isEmpty()) {
      return List.copyOf(out);
    }
    return switch (size) {
      case 512 -> List.of(0.5, 1.0, 1.0, 2.0, 2.0, 4.0, 4.0);
      case 256 -> List.of(1.0, 1.0, 2.0, 2.0, 4.0, 4.0);
      case 128 -> List.of(1.0, 1.0, 2.0, 3.0, 4.0);
      case 64 -> List.of(1.0, 2.0, 3.0, 4.0);
      default ->
          throw new IllegalArgumentException(
              c.source() + ": no default " + key + " for image_size " + size + "; set " + key);
    };
  }

  private static List<Integer> parseInts(String s) {
    List<Integer> out = new ArrayList<>();
    for (String p : s.split(",")) {
      out.add(Integer.parseInt(p.strip()));
    }
    return out;
  }

  /** Keys of this config that a loader never reads (for `info`). */
  static Set<String> unknownKeys(Map<String, Object> all, Set<String> known) {
    Set<String> out = new TreeSet<>(all.keySet());
    out.removeAll(known);
    return out;
  }
}
