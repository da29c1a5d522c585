package org.guidance4j.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.guidance4j.io.ModelConfig;
import org.guidance4j.nn.edm2.Edm2Config;

/**
 * EDM2 ImageNet-64 networks at a quarter of their width, for benchmarks a CPU can afford: the
 * released img64 configs (train_edm2.py presets: channel_mult 1,2,3,4, 3 blocks per level,
 * attention at 16 and 8 px, 1000 classes, 3 pixel channels) with model_channels and
 * channels_per_head divided by 4, so every attention layer keeps the released head count and the
 * work per image is about 1/16 of the released one. Run in F32 with random weights.
 */
enum Edm2Net {
  /** edm2-img64-s (model_channels 192) at width 48. */
  IMG64_S_QUARTER(48),
  /** edm2-img64-xs (model_channels 128) at width 32: EDM2's autoguidance guide for img64-s. */
  IMG64_XS_QUARTER(32);

  private final int modelChannels;

  Edm2Net(int modelChannels) {
    this.modelChannels = modelChannels;
  }

  /** config.json content, in EDM2's keyword names (tools/edm2_reference.py full_config). */
  Map<String, Object> config() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", Edm2Config.KIND);
    m.put("img_resolution", 64L);
    m.put("img_channels", 3L);
    m.put("label_dim", 1000L);
    m.put("model_channels", (long) modelChannels);
    m.put("channel_mult", List.of(1L, 2L, 3L, 4L));
    m.put("num_blocks", 3L);
    m.put("attn_resolutions", List.of(16L, 8L));
    m.put("channels_per_head", 16L);
    return m;
  }

  Edm2Config edm2Config() {
    return Edm2Config.from(ModelConfig.of(config(), name()));
  }
}
