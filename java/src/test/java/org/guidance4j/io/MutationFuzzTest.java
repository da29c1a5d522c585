package org.guidance4j.io;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.guidance4j.io.SafetensorsWriter.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A bounded, seeded mutation fuzzer that runs in every build, next to Jazzer's seed-only regression
 * runs: valid files are mutated (byte flips, interesting values, insertions, deletions, truncation,
 * and edits of the header text with its length field kept consistent so the mutation reaches the
 * validation behind the parser) and fed to {@link FuzzChecks}. The same seed gives the same inputs,
 * so a failure prints the iteration and the input to reproduce it.
 */
class MutationFuzzTest {
  private static final int ITERATIONS = 20_000;
  private static final long SEED = 0x6a4a_2025L;

  @Test
  void safetensorsReaderOnlyThrowsItsOwnException() {
    run(safetensorsSeeds(), 8, FuzzChecks::safetensors);
  }

  @Test
  void npyReaderOnlyThrowsItsOwnException() {
    run(npySeeds(), -1, FuzzChecks::npy);
  }

  @Test
  void jsonParserOnlyThrowsItsOwnException() {
    List<byte[]> seeds = new ArrayList<>();
    seeds.add(TestBytes.resource("/org/guidance4j/io/FormatFuzzTestInputs/json/config.json"));
    for (byte[] s : safetensorsSeeds()) {
      long n = ByteBuffer.wrap(s).order(ByteOrder.LITTLE_ENDIAN).getLong();
      seeds.add(Arrays.copyOfRange(s, 8, 8 + (int) n));
    }
    run(seeds, 0, FuzzChecks::json);
  }

  static List<byte[]> safetensorsSeeds() {
    Map<String, Tensor> t = new LinkedHashMap<>();
    t.put("a", Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6));
    t.put(
        "b.weight",
        Tensor.ofBytes(SafetensorsDType.F16, new long[] {3}, new byte[] {0, 60, 0, -64, 1, 0}));
    t.put("c", Tensor.ofBytes(SafetensorsDType.BF16, new long[] {1, 1}, new byte[] {-128, 63}));
    t.put("s", Tensor.ofBytes(SafetensorsDType.I64, new long[] {}, new byte[8]));
    t.put("z", Tensor.ofFloats(new long[] {0, 5}));
    return List.of(
        SafetensorsWriter.toBytes(t, Map.of("format", "pt")),
        SafetensorsWriter.toBytes(Map.of("x", Tensor.ofFloats(new long[] {1}, 7f)), Map.of()),
        TestBytes.resource("/fixtures/io/tiny.safetensors"));
  }

  static List<byte[]> npySeeds() {
    List<byte[]> seeds = new ArrayList<>();
    for (String name :
        List.of(
            "float32_2x3.npy",
            "float64_4.npy",
            "int64_5.npy",
            "float32_scalar.npy",
            "float32_v3.npy",
            "float32_0x3.npy")) {
      seeds.add(TestBytes.resource("/fixtures/io/" + name));
    }
    seeds.add(Npy.toBytes(NpyArray.ofLongs(new long[] {1, 1, 2}, 3, -4)));
    return seeds;
  }

  /**
   * headerAt: where the header text starts, for mutations that keep its length field right (8 for
   * safetensors, -1 for .npy, whose offset depends on the version, 0 for bare text).
   */
  private static void run(List<byte[]> seeds, int headerAt, Consumer<byte[]> target) {
    Random random = new Random(SEED);
    for (int i = 0; i < ITERATIONS; i++) {
      byte[] input = seeds.get(random.nextInt(seeds.size()));
      int rounds = 1 + random.nextInt(4);
      for (int r = 0; r < rounds; r++) {
        input = Mutator.mutate(input, headerAt, random);
      }
      try {
        target.accept(input);
      } catch (Throwable t) {
        fail(
            "iteration "
                + i
                + ": "
                + t
                + "\ninput (base64): "
                + Base64.getEncoder().encodeToString(input),
            t);
      }
    }
  }

}
