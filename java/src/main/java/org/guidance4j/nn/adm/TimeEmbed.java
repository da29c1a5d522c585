package org.guidance4j.nn.adm;

import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.nn.Linear;
import org.guidance4j.nn.Weights;

/**
 * time_embed: sinusoidal embedding of the timesteps, Linear, SiLU, Linear (to 4 * model_channels),
 * plus the class embedding of class-conditional models, and the SiLU every ResBlock's emb_layers
 * starts with: three kernels (the embedding, then each Linear with its bias, SiLU and the label
 * row fused in).
 */
final class TimeEmbed {
  private final Linear first; // time_embed.0
  private final Linear second; // time_embed.2
  private final int modelChannels;

  TimeEmbed(Weights w, int modelChannels) {
    this.modelChannels = modelChannels;
    this.first = Linear.load(w, "time_embed.0", modelChannels, 4L * modelChannels);
    this.second = Linear.load(w, "time_embed.2", 4L * modelChannels, 4L * modelChannels);
  }

  /**
   * silu(time_embed(t) + labelTable[y]): timesteps (N) F32 on the network's device; labelTable
   * (label rows, 4 * model_channels) and labels (N, F32 holding the class indices, checked by the
   * caller) both present or both null. Returns (N, 4 * model_channels) of {@code dtype}.
   */
  Tensor forwardSilu(Tensor timesteps, Tensor labelTable, Tensor labels, DType dtype) {
    try (Tensor s = Ops.timestepEmbedding(timesteps, modelChannels, dtype);
        Tensor h = first.forwardEmbed(s, true)) {
      return labelTable == null ? second.forwardEmbed(h, true) : second.forwardEmbedPlusRow(h, labelTable, labels, true);
    }
  }

  /**
   * The per-forward inputs in one upload: timesteps (N), then the labels (N) as F32 when not
   * null (exact: class indices are far below 2^24). Slice rows [0, N) and [N, 2N).
   */
  static Tensor upload(float[] timesteps, long[] labels, Device device) {
    if (labels == null) {
      return Tensor.fromArray(device, timesteps);
    }
    float[] both = new float[timesteps.length + labels.length];
    System.arraycopy(timesteps, 0, both, 0, timesteps.length);
    for (int i = 0; i < labels.length; i++) {
      both[timesteps.length + i] = labels[i];
    }
    return Tensor.fromArray(device, both);
  }
}
