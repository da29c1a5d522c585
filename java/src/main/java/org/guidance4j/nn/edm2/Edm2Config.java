package org.guidance4j.nn.edm2;

import java.util.ArrayList;
import java.util.List;
import org.guidance4j.io.ModelConfig;
import org.guidance4j.io.ModelConfigException;

/**
 * An EDM2 denoiser's architecture from config.json ({@code "kind": "edm2"}): the keyword arguments
 * of EDM2's Precond, UNet and Block constructors under their own names, with EDM2's defaults.
 * tools/edm2_reference.py (full_config) is the Python twin; tools/convert_edm2.py writes it.
 *
 * @param clipAct the activation clamp, or null (EDM2's clip_act=None: no clamp)
 */
public record Edm2Config(
    int imgResolution,
    int imgChannels,
    int labelDim, // 0: unconditional
    int modelChannels,
    List<Integer> channelMult,
    Integer channelMultNoise, // null: channel_mult[0]
    Integer channelMultEmb, // null: max(channel_mult)
    int numBlocks,
    List<Integer> attnResolutions,
    double labelBalance,
    double concatBalance,
    int channelsPerHead,
    double resBalance,
    double attnBalance,
    Double clipAct,
    double sigmaData) {

  public static final String KIND = "edm2";

  /** Channels per level: model_channels * channel_mult. */
  public List<Long> blockChannels() {
    List<Long> out = new ArrayList<>();
    for (int m : channelMult) {
      out.add((long) modelChannels * m);
    }
    return out;
  }

  /** Width of the Fourier noise features. */
  public long noiseChannels() {
    return channelMultNoise != null ? (long) modelChannels * channelMultNoise : blockChannels().getFirst();
  }

  /** Width of the embedding every block reads. */
  public long embChannels() {
    long max = 0;
    for (long c : blockChannels()) {
      max = Math.max(max, c);
    }
    return channelMultEmb != null ? (long) modelChannels * channelMultEmb : max;
  }

  public static Edm2Config from(ModelConfig c) {
    String src = c.source();
    if (!KIND.equals(c.kind())) {
      throw new ModelConfigException(src, "kind", "expected \"" + KIND + "\", got \"" + c.kind() + "\"");
    }
    int res = positive(c, "img_resolution", c.requireInt("img_resolution"));
    int channels = positive(c, "img_channels", c.requireInt("img_channels"));
    int labelDim = c.requireInt("label_dim");
    if (labelDim < 0) {
      throw new ModelConfigException(src, "label_dim", "must be >= 0 (0: unconditional), got " + labelDim);
    }
    List<Integer> mult = c.getIntList("channel_mult", List.of(1, 2, 3, 4));
    if (mult.isEmpty()) {
      throw new ModelConfigException(src, "channel_mult", "must list at least one level");
    }
    for (int m : mult) {
      positive(c, "channel_mult", m);
    }
    if (res % (1 << (mult.size() - 1)) != 0) {
      throw new ModelConfigException(
          src, "channel_mult", mult.size() + " levels halve img_resolution " + res + " to a fraction");
    }
    List<Integer> filter = c.getIntList("resample_filter", List.of(1, 1));
    if (!filter.equals(List.of(1, 1))) {
      throw new ModelConfigException(
          src, "resample_filter", "only [1, 1] (2x2 box down, nearest up) is supported, got " + filter);
    }
    Double clip = 256.0;
    if (c.asMap().containsKey("clip_act")) {
      clip = c.has("clip_act") ? c.getDouble("clip_act", 256) : null;
      if (clip != null && !(clip > 0)) {
        throw new ModelConfigException(src, "clip_act", "must be > 0 or null (no clamp), got " + clip);
      }
    }
    double sigmaData = c.getDouble("sigma_data", 0.5);
    if (!(sigmaData > 0) || Double.isInfinite(sigmaData)) {
      throw new ModelConfigException(src, "sigma_data", "must be positive and finite, got " + sigmaData);
    }
    return new Edm2Config(
        res, channels, labelDim, positive(c, "model_channels", c.getInt("model_channels", 192)), mult,
        optionalPositive(c, "channel_mult_noise"), optionalPositive(c, "channel_mult_emb"),
        positive(c, "num_blocks", c.getInt("num_blocks", 3)), c.getIntList("attn_resolutions", List.of(16, 8)),
        balance(c, "label_balance"), balance(c, "concat_balance"),
        positive(c, "channels_per_head", c.getInt("channels_per_head", 64)), balance(c, "res_balance", 0.3),
        balance(c, "attn_balance", 0.3), clip, sigmaData);
  }

  private static int positive(ModelConfig c, String key, int v) {
    if (v < 1) {
      throw new ModelConfigException(c.source(), key, "must be >= 1, got " + v);
    }
    return v;
  }

  private static Integer optionalPositive(ModelConfig c, String key) {
    return c.has(key) ? positive(c, key, c.getInt(key, 1)) : null;
  }

  private static double balance(ModelConfig c, String key) {
    return balance(c, key, 0.5);
  }

  private static double balance(ModelConfig c, String key, double def) {
    double t = c.getDouble(key, def);
    if (!(t >= 0 && t <= 1)) {
      throw new ModelConfigException(c.source(), key, "must be in [0, 1], got " + t);
    }
    return t;
  }
}
