package org.guidance4j.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.guidance4j.core.InvalidArgumentException;

/**
 * Perturbed-attention guidance's "bad version" of a network, made on the fly (Ahn et al. 2024,
 * "Self-Rectifying Diffusion Sampling with Perturbed-Attention Guidance"): in the chosen
 * self-attention layers, rows [fromRow, toRow) of the batch get the identity as their attention
 * map, so each position attends only to itself and the attention's output is its value vector V
 * (then the layer's output projection and residual as usual); the other rows are computed as
 * always. One forward of a batch can so hold the model and its perturbed version side by side.
 *
 * <p>Layers are named by their checkpoint key (an ADM {@code AttentionBlock} such as
 * {@code middle_block.1} or {@code output_blocks.4.1}; an EDM2 block with attention such as
 * {@code unet.enc.16x16_block0}). An entry selects every attention layer whose name equals it or
 * continues it after a '.' or '_' ({@code output_blocks.4} selects {@code output_blocks.4.1} but not
 * {@code output_blocks.40.1}; {@code unet.dec.8x8} selects {@code unet.dec.8x8_in0}), and
 * {@link #MIDDLE} the network's middle ones (diffusers' default, "mid").
 */
public record PerturbedAttention(List<String> layers, long fromRow, long toRow) {
  /** The entry that selects the network's middle attention layer(s). */
  public static final String MIDDLE = "mid";

  public PerturbedAttention {
    layers = List.copyOf(Objects.requireNonNull(layers, "layers"));
    if (layers.isEmpty()) {
      throw new InvalidArgumentException("PerturbedAttention", "name at least one attention layer (or \"mid\")");
    }
    if (fromRow < 0 || toRow <= fromRow) {
      throw new InvalidArgumentException(
          "PerturbedAttention", "rows [" + fromRow + ", " + toRow + ") are not a non-empty range of the batch");
    }
  }

  /** The same layers for rows [from, to) of another batch. */
  public PerturbedAttention rows(long from, long to) {
    return new PerturbedAttention(layers, from, to);
  }

  /** Whether one entry selects the layer {@code name}. */
  static boolean selects(String entry, String name) {
    if (!name.startsWith(entry)) {
      return false;
    }
    if (name.length() == entry.length()) {
      return true;
    }
    char next = name.charAt(entry.length());
    return next == '.' || next == '_';
  }

  /**
   * The attention layers of a network these entries select.
   *
   * @param all the network's attention layers by name
   * @param middle the network's middle attention layers (what {@link #MIDDLE} means)
   * @throws InvalidArgumentException naming an entry that selects none of them, and the names there are
   */
  public List<String> resolve(List<String> all, List<String> middle) {
    List<String> out = new ArrayList<>();
    for (String entry : layers) {
      List<String> hit = new ArrayList<>();
      for (String name : entry.equals(MIDDLE) ? middle : all) {
        if (entry.equals(MIDDLE) || selects(entry, name)) {
          hit.add(name);
        }
      }
      if (hit.isEmpty()) {
        throw new InvalidArgumentException(
            "PerturbedAttention",
            "\"" + entry + "\" names no self-attention layer of this network; its attention layers are "
                + (all.isEmpty() ? "none" : String.join(", ", all)));
      }
      for (String h : hit) {
        if (!out.contains(h)) {
          out.add(h);
        }
      }
    }
    return out;
  }
}
