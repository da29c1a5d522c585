package org.guidance4j.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.guidance4j.io.Json;
import org.guidance4j.io.SafetensorsDType;
import org.guidance4j.io.SafetensorsWriter;

/**
 * A model directory (config.json + model.safetensors) of an {@link AdmNet} with random F32 weights,
 * written once and reused: under the system property {@code g4j.bench.models}, else
 * {@code java.io.tmpdir/guidance4j-bench-models}. Keys and shapes come from {@link AdmWalk}.
 *
 * <p>Values follow PyTorch's default initialisation scale (uniform in +-1/sqrt(fan_in) for conv and
 * linear weights) so activations stay O(1) through the network like a trained model's, and norm
 * gains sit near 1. Timing does not depend on the values, but NaNs or denormals would.
 */
final class RandomCheckpoint {
  private RandomCheckpoint() {}

  static Path ensure(AdmNet net) throws IOException {
    AdmWalk walk = AdmWalk.of(net.admConfig());
    return ensure(net.name().toLowerCase() + "-random-v1", 0x5eed, walk.params, net.config(true),
        Map.of("format", "pt"), RandomCheckpoint::fill);
  }

  /** Fills one tensor's F32 values. */
  interface Filler {
    void fill(MemorySegment data, String key, long[] shape, SplittableRandom rng);
  }

  /**
   * The directory {@code dirName} under the benchmark models folder, holding {@code params} (key
   * to shape, in order) filled by {@code filler} from {@code seed}, and {@code config}; written
   * once, then reused.
   */
  static Path ensure(
      String dirName, long seed, Map<String, long[]> params, Object config, Map<String, String> metadata, Filler filler)
      throws IOException {
    String root = System.getProperty("g4j.bench.models");
    Path base = root != null ? Path.of(root) : Path.of(System.getProperty("java.io.tmpdir"), "guidance4j-bench-models");
    Path dir = base.resolve(dirName);
    // config.json is written last: its presence means the checkpoint beside it is complete
    if (Files.isRegularFile(dir.resolve("config.json"))) {
      return dir;
    }
    Files.createDirectories(dir);
    SplittableRandom rng = new SplittableRandom(seed);
    try (Arena arena = Arena.ofConfined()) {
      Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
      for (Map.Entry<String, long[]> e : params.entrySet()) {
        long[] shape = e.getValue();
        MemorySegment data = arena.allocate(Bench.numel(shape) * 4, 64);
        filler.fill(data, e.getKey(), shape, rng);
        tensors.put(e.getKey(), new SafetensorsWriter.Tensor(SafetensorsDType.F32, shape, data));
      }
      SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, metadata);
    }
    Path tmp = dir.resolve("config.json.tmp");
    Files.writeString(tmp, Json.write(config) + "\n");
    Files.move(tmp, dir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return dir;
  }

  private static void fill(MemorySegment data, String key, long[] shape, SplittableRandom rng) {
    long n = data.byteSize() / 4;
    boolean weight = key.endsWith(".weight");
    float centre = 0f;
    float half;
    if (key.equals("label_emb.weight")) {
      half = 1.7f; // nn.Embedding draws N(0, 1); a uniform of the same variance
    } else if (weight && shape.length >= 2) {
      long fanIn = n / shape[0];
      half = (float) (1.0 / Math.sqrt(fanIn));
    } else if (weight) {
      centre = 1f; // GroupNorm gain
      half = 0.1f;
    } else {
      half = 0.1f; // biases
    }
    for (long i = 0; i < n; i++) {
      data.setAtIndex(ValueLayout.JAVA_FLOAT, i, centre + half * (2f * rng.nextFloat() - 1f));
    }
  }
}
