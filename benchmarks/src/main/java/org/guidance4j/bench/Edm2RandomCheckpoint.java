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
    String root = System.getProperty("g4j.bench.models");
    Path base = root != null ? Path.of(root) : Path.of(System.getProperty("java.io.tmpdir"), "guidance4j-bench-models");
    Path dir = base.resolve("edm2-" + net.name().toLowerCase() + "-random-v1");
    // config.json is written last: its presence means the checkpoint beside it is complete
    if (Files.isRegularFile(dir.resolve("config.json"))) {
      return dir;
    }
    Files.createDirectories(dir);
    write(net, dir, 0xed2 + net.ordinal());
    return dir;
  }

  static void write(Edm2Net net, Path dir, long seed) throws IOException {
    Edm2Walk walk = Edm2Walk.of(net.edm2Config());
    SplittableRandom rng = new SplittableRandom(seed);
    try (Arena arena = Arena.ofConfined()) {
      Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
      for (Map.Entry<String, long[]> e : walk.params.entrySet()) {
        long[] shape = e.getValue();
        MemorySegment data = arena.allocate(Bench.numel(shape) * 4, 64);
        fill(data, e.getKey(), rng);
        tensors.put(e.getKey(), new SafetensorsWriter.Tensor(SafetensorsDType.F32, shape, data));
      }
      SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt", "source", "edm2"));
    }
    Path tmp = dir.resolve("config.json.tmp");
    Files.writeString(tmp, Json.write(net.config()) + "\n");
    Files.move(tmp, dir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void fill(MemorySegment data, String key, SplittableRandom rng) {
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
