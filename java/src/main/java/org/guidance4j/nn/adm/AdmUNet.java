package org.guidance4j.nn.adm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.io.SafetensorsFile;
import org.guidance4j.nn.Conv2d;
import org.guidance4j.nn.GroupNorm32;
import org.guidance4j.nn.IdentityAttention;
import org.guidance4j.nn.PerturbedAttention;
import org.guidance4j.nn.UseGuard;
import org.guidance4j.nn.Weights;

/**
 * guided-diffusion's UNetModel: forward(x, t, y) gives eps (and, with learn_sigma, the variance
 * interpolation v in the second half of the channels), exactly as the reference code computes it.
 */
public final class AdmUNet implements AutoCloseable {
  private final AdmConfig config;
  private final SafetensorsFile file;
  private final Weights weights;
  private final TimeEmbed timeEmbed;
  private final EmbProjection projection; // every ResBlock's emb_layers Linear, joined
  private final Tensor labelEmb; // (label rows, 4 * model_channels) or null
  private final AdmEncoder encoder;
  private final List<TimestepBlock> outputBlocks = new ArrayList<>();
  private final GroupNorm32 outNorm; // out.0
  private final Conv2d outConv; // out.2
  private final UseGuard guard;

  private AdmUNet(AdmConfig c, SafetensorsFile file, Device device, DType dtype) {
    this.config = c;
    this.file = file;
    this.weights = new Weights(file, device, dtype);
    this.guard = new UseGuard("AdmUNet " + file.name());
    Weights w = weights;
    long embDim = 4L * c.modelChannels();
    this.timeEmbed = new TimeEmbed(w, c.modelChannels());
    this.labelEmb = c.classConditional() ? w.take("label_emb.weight", c.labelRows(), embDim) : null;
    this.projection = new EmbProjection(w);
    this.encoder = new AdmEncoder(w, projection, c);
    Deque<Long> skips = new ArrayDeque<>(encoder.skipChannels);
    long ch = encoder.channels;
    int ds = encoder.downsampling;
    List<Double> mult = c.channelMult();
    for (int level = mult.size() - 1; level >= 0; level--) {
      for (int i = 0; i <= c.numResBlocks(); i++) {
        String p = "output_blocks." + outputBlocks.size();
        long out = (long) (c.modelChannels() * mult.get(level));
        List<TimestepBlock> layers = new ArrayList<>();
        layers.add(new ResBlock(w, projection, p + ".0", ch + skips.removeLast(), embDim, out, c.useScaleShiftNorm(), ResBlock.Resample.NONE));
        ch = out;
        if (c.attentionDs().contains(ds)) {
          layers.add(new AttentionBlock(w, p + "." + layers.size(), ch, c.numHeadsUpsample(), c.numHeadChannels(), c.useNewAttentionOrder()));
        }
        if (level > 0 && i == c.numResBlocks()) {
          String q = p + "." + layers.size();
          layers.add(
              c.resblockUpdown()
                  ? new ResBlock(w, projection, q, ch, embDim, ch, c.useScaleShiftNorm(), ResBlock.Resample.UP)
                  : Resample.up(w, q, ch, c.convResample()));
          ds /= 2;
        }
        outputBlocks.add(new Sequential(layers));
      }
    }
    this.outNorm = GroupNorm32.load(w, "out.0", ch);
    this.outConv = Conv2d.load(w, "out.2", ch, c.outChannels(), 3, 1, 1);
    w.requireAllUsed();
    projection.join();
  }

  /** Loads a model directory (or .safetensors with config.json beside it) onto {@code device}. */
  public static AdmUNet load(Path model, Device device, DType dtype) throws IOException {
    return AdmCheckpoint.load(model, AdmConfig.UNET, (c, f) -> new AdmUNet(c, f, device, dtype));
  }


  public AdmConfig config() {
    return config;
  }

  public Device device() {
    return weights.device();
  }

  public DType dtype() {
    return weights.dtype();
  }

  /** The self-attention layers by checkpoint key prefix (e.g. "input_blocks.4.1"), in forward order. */
  public List<String> attentionLayers() {
    List<String> names = new ArrayList<>();
    for (TimestepBlock b : encoder.inputBlocks) {
      addAttention(b, names);
    }
    addAttention(encoder.middleBlock, names);
    for (TimestepBlock b : outputBlocks) {
      addAttention(b, names);
    }
    return names;
  }

  /** The middle block's attention ("middle_block.1"): what {@link PerturbedAttention#MIDDLE} selects. */
  public List<String> middleAttentionLayers() {
    List<String> names = new ArrayList<>();
    addAttention(encoder.middleBlock, names);
    return names;
  }

  private static void addAttention(TimestepBlock b, List<String> names) {
    if (b instanceof AttentionBlock a) {
      names.add(a.name());
    } else if (b instanceof Sequential s) {
      s.layers().forEach(l -> addAttention(l, names));
    }
  }

  /**
   * {@link #forward}, with the rows and self-attention layers of {@code perturbation} on the
   * identity attention map (perturbed-attention guidance's perturbed model; the other rows are
   * the ordinary forward).
   */
  public Tensor forward(Tensor x, float[] timesteps, long[] labels, PerturbedAttention perturbation) {
    if (perturbation == null) {
      return forward(x, timesteps, labels);
    }
    List<String> layers = perturbation.resolve(attentionLayers(), middleAttentionLayers());
    return IdentityAttention.during(
        layers, perturbation.fromRow(), perturbation.toRow(), () -> forward(x, timesteps, labels));
  }

  /**
   * x (N, 3, S, S), timesteps (N) (the original discrete index, as a float), labels (N) or null
   * for an unconditional model. Returns (N, out_channels, S, S). Safe to call from several
   * threads at once; fails with an IllegalStateException once the network is closed.
   */
  public Tensor forward(Tensor x, float[] timesteps, long[] labels) {
    return guard.run(() -> forwardOpen(x, timesteps, labels));
  }

  private Tensor forwardOpen(Tensor x, float[] timesteps, long[] labels) {
    checkInputs(x, timesteps, labels);
    if (x.dtype() != dtype()) {
      try (Tensor converted = x.to(dtype())) {
        return forwardOpen(converted, timesteps, labels);
      }
    }
    int n = timesteps.length;
    try (Tensor inputs = TimeEmbed.upload(timesteps, labelEmb != null ? labels : null, device());
        Tensor embSilu =
            timeEmbed.forwardSilu(inputs.slice(0, n), labelEmb, labelEmb != null ? inputs.slice(n, 2L * n) : null, x.dtype());
        Tensor embOut = projection.forward(embSilu)) {
      return body(x, embOut);
    }
  }

  private Tensor body(Tensor x, Tensor embOut) {
    Deque<Tensor> hs = new ArrayDeque<>();
    Tensor h = null;
    try {
      Tensor cur = x;
      for (TimestepBlock block : encoder.inputBlocks) {
        cur = block.forward(cur, embOut);
        hs.addLast(cur);
      }
      h = encoder.middleBlock.forward(cur, embOut);
      for (TimestepBlock block : outputBlocks) {
        Tensor next;
        try (Tensor skip = hs.removeLast();
            Tensor cat = Ops.concatChannels(h, skip)) {
          next = block.forward(cat, embOut);
        }
        h.close();
        h = next;
      }
      try (Tensor a = outNorm.forward(h, true)) {
        return outConv.forward(a);
      }
    } finally {
      if (h != null) {
        h.close();
      }
      hs.forEach(Tensor::close);
    }
  }

  private void checkInputs(Tensor x, float[] timesteps, long[] labels) {
    long[] expected = {x.dim(0), config.inChannels(), config.imageSize(), config.imageSize()};
    if (!Arrays.equals(x.shape(), expected)) {
      throw new InvalidArgumentException(
          "AdmUNet.forward", "x has shape " + Arrays.toString(x.shape()) + ", expected " + Arrays.toString(expected));
    }
    if (timesteps.length != x.dim(0)) {
      throw new InvalidArgumentException(
          "AdmUNet.forward", timesteps.length + " timesteps for a batch of " + x.dim(0));
    }
    if (config.classConditional()) {
      if (labels == null || labels.length != x.dim(0)) {
        throw new InvalidArgumentException(
            "AdmUNet.forward",
            "this model is class-conditional: give one class label per sample (" + x.dim(0) + ")");
      }
      for (long y : labels) {
        if (y < 0 || y >= config.labelRows()) {
          throw new InvalidArgumentException(
              "AdmUNet.forward",
              "class " + y + " is outside [0, " + config.labelRows() + ")"
                  + (config.nullClass() ? " (" + config.numClasses() + " is the null class)" : ""));
        }
      }
    } else if (labels != null) {
      throw new InvalidArgumentException("AdmUNet.forward", "this model is unconditional: labels must be null");
    }
  }

  /** Frees the weights; an IllegalStateException (and nothing freed) while another thread is in {@link #forward}. */
  @Override
  public void close() {
    guard.close(() -> {
      projection.close();
      weights.closeTensors();
      file.close();
    });
  }
}
