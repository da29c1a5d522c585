package org.guidance4j.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.guidance4j.io.ModelConfig;
import org.guidance4j.nn.adm.AdmConfig;

/**
 * The two released guided-diffusion U-Nets the benchmarks are shaped after, by their MODEL_FLAGS
 * (guided-diffusion's README), run in F32. null_class adds the label row classifier-free guidance
 * needs; it changes no shape the forward touches.
 */
enum AdmNet {
  /** 64x64 ImageNet: 192 channels x (1, 2, 3, 4), attention at 32, 16, 8 in the new qkv order. */
  ADM64(
      "--attention_resolutions 32,16,8 --class_cond True --diffusion_steps 1000 --image_size 64"
          + " --learn_sigma True --noise_schedule cosine --num_channels 192 --num_head_channels 64"
          + " --num_res_blocks 3 --resblock_updown True --use_new_attention_order True --use_fp16 False"
          + " --use_scale_shift_norm True"),
  /** 256x256 ImageNet (conditional): 256 channels x (1, 1, 2, 2, 4, 4), legacy qkv order. */
  ADM256(
      "--attention_resolutions 32,16,8 --class_cond True --diffusion_steps 1000 --image_size 256"
          + " --learn_sigma True --noise_schedule linear --num_channels 256 --num_head_channels 64"
          + " --num_res_blocks 2 --resblock_updown True --use_fp16 False --use_scale_shift_norm True");

  private final String flags;

  AdmNet(String flags) {
    this.flags = flags;
  }

  /** config.json content: "kind" plus the flags with JSON types, and null_class. */
  Map<String, Object> config(boolean nullClass) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", AdmConfig.UNET);
    String[] parts = flags.trim().split("\\s+");
    for (int i = 0; i < parts.length; i += 2) {
      m.put(parts[i].substring(2), value(parts[i + 1]));
    }
    m.put("null_class", nullClass);
    return m;
  }

  AdmConfig admConfig() {
    return AdmConfig.from(ModelConfig.of(config(true), name()));
  }

  private static Object value(String s) {
    if (s.equals("True") || s.equals("False")) {
      return Boolean.valueOf(s.equals("True"));
    }
    if (s.matches("-?\\d+")) {
      return Long.valueOf(s);
    }
    return s;
  }
}
