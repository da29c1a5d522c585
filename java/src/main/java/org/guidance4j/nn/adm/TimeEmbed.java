package org.guidance4j.nn.adm;

import org.guidance4j.core.Device;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.nn.Linear;
import org.guidance4j.nn.Weights;

/** time_embed: sinusoidal embedding of the timesteps, Linear, SiLU, Linear (to 4 * model_channels). */
final class TimeEmbed {
  private final Linear first; // time_embed.0
  private final Linear second; // time_embed.2
  private final int modelChannels;

  TimeEmbed(Weights w, int modelChannels) {
    this.modelChannels = modelChannels;
    this.first = Linear.load(w, "time_embed.0", modelChannels, 4L * modelChannels);
    this.second = Linear.load(w, "time_embed.2", 4L * modelChannels, 4L * modelChannels);
  }

  /** timesteps: F32 (N) on the network's device; returns (N, 4 * model_channels) in {@code like}'s dtype. */
  Tensor forward(Tensor timesteps, Tensor like) {
    try (Tensor s = Ops.timestepEmbedding(timesteps, modelChannels, like.dtype());
        Tensor h = first.forward(s);
        Tensor a = Ops.silu(h)) {
      return second.forward(a);
    }
  }

  static Tensor upload(float[] timesteps, Device device) {
    return Tensor.fromArray(device, timesteps);
  }
}
