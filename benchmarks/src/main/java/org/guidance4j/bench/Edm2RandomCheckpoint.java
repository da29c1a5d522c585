package org.guidance4j.bench;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A model directory (config.json + model.safetensors) of an {@link Edm2Net} with random F32
 * weights, written once into the same directory as {@link RandomCheckpoint}'s ADM ones and reused; keys and shapes
 * from {@link Edm2Walk}, so no Python is needed.
 *
 * <p>Values follow EDM2's own init: every MPConv weight N(0, 1) (the loader normalises it per
 * output channel anyway), the Fourier frequencies 2 pi N(0, 1) and phases 2 pi U(0, 1); the gains
 * EDM2 starts at zero (emb_gain, out_gain) are set to 1 so no path is a multiplication by zero.
 */
final class Edm2RandomCheckpoint {
  private Edm2RandomCheckpoint() {}

  static Path ensure(Edm2Net net) throws IOException {
    Edm2Walk walk = Edm2Walk.of(net.edm2Config());
    return RandomCheckpoint.ensure("edm2-" + net.name().toLowerCase() + "-random-v1", 0xed2 + net.ordinal(),
        walk.params, net.config(), Map.of("format", "pt", "source", "edm2"), Edm2RandomCheckpoint::fill);
  }

  private static void fill(MemorySegment data, String key, long[] shape, SplittableRandom rng) {
    long n = data.byteSize() / 4;
    for (long i = 0; i < n; i++) {
      double v;
      if (key.endsWith("_gain")) {
        v = 1;
      } else if (key.endsWith(".freqs")) {
        v = 2 * Math.PI * rng.nextGaussian();
      } else if (key.endsWith(".phases")) {
        v = 2 * Math.PI * rng.nextDouble();
      } else {
        v = rng.nextGaussian();
      }
      data.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
    }
  }
}
