package org.guidance4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.guidance4j.io.SafetensorsWriter.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
  @TempDir Path dir;

  private static float[] randomFloats(Random random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (random.nextGaussian() * 3 + 0.5);
    }
    return v;
  }

  private static byte[] randomBytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  @Test
  void writeThenReadRoundTrips() throws IOException {
    Random random = new Random(1);
    float[] w = randomFloats(random, 3 * 5 * 7);
    byte[] half = randomBytes(random, 2 * 11);
    byte[] i64 = randomBytes(random, 8 * 3);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("input_blocks.0.0.weight", Tensor.ofFloats(new long[] {3, 5, 7}, w));
    tensors.put("b16", Tensor.ofBytes(SafetensorsDType.BF16, new long[] {11}, half));
    tensors.put("counts", Tensor.ofBytes(SafetensorsDType.I64, new long[] {3}, i64));
    tensors.put("empty", Tensor.ofFloats(new long[] {0, 4}));
    tensors.put("scalar", Tensor.ofFloats(new long[] {}, 2.5f));
    Path path = dir.resolve("model.safetensors");
    SafetensorsWriter.write(path, tensors, Map.of("format", "pt"));

    try (SafetensorsFile f = SafetensorsFile.open(path)) {
      assertEquals(
          List.of("input_blocks.0.0.weight", "b16", "counts", "empty", "scalar"),
          new ArrayList<>(f.keys()));
      assertEquals(Map.of("format", "pt"), f.metadata());
      SafetensorsEntry e = f.get("input_blocks.0.0.weight");
      assertEquals(SafetensorsDType.F32, e.dtype());
      assertArrayEquals(new long[] {3, 5, 7}, e.shape());
      assertEquals(105, e.elementCount());
      assertArrayEquals(w, e.toFloatArray());
      assertEquals(w[17], e.getFloat(17));
      assertArrayEquals(half, f.get("b16").data().toArray(ValueLayout.JAVA_BYTE));
      assertArrayEquals(i64, f.get("counts").data().toArray(ValueLayout.JAVA_BYTE));
      assertEquals(0, f.get("empty").data().byteSize());
      assertArrayEquals(new long[] {0, 4}, f.get("empty").shape());
      assertEquals(0, f.get("scalar").rank());
      assertArrayEquals(new float[] {2.5f}, f.get("scalar").toFloatArray());
    }

    // The header is padded so the data section, and every tensor in it, is 8-byte aligned.
    byte[] raw = Files.readAllBytes(path);
    long headerLength = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8);
    String header = new String(raw, 8, (int) headerLength, java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(header.matches("\\{.*\\} {0,7}"), header);
  }

  @Test
  void tensorSegmentsAreZeroCopySlicesOfTheMapping() throws IOException {
    byte[] payload = randomBytes(new Random(2), 4 * 6);
    Path path = dir.resolve("a.safetensors");
    SafetensorsWriter.write(
        path, Map.of("x", Tensor.ofBytes(SafetensorsDType.F32, new long[] {2, 3}, payload)));
    byte[] file = Files.readAllBytes(path);
    int dataStart = file.length - payload.length;

    SafetensorsFile f = SafetensorsFile.open(path);
    SafetensorsEntry x = f.get("x");
    assertArrayEquals(payload, x.data().toArray(ValueLayout.JAVA_BYTE));
    assertTrue(x.data().isReadOnly());
    assertTrue(x.data().isMapped(), "the slice should come from the file mapping, not a copy");
    float expected =
        ByteBuffer.wrap(file, dataStart + 8, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
    assertEquals(expected, x.getFloat(2));

    f.close();
    f.close(); // idempotent
    assertThrows(IllegalStateException.class, () -> x.data().get(ValueLayout.JAVA_BYTE, 0));
  }

  @Test
  void readsAFileAssembledByAnotherProducer() throws IOException {
    // fixtures/io/tiny.safetensors comes from make_fixtures.py (Python, not our writer); its
    // tensors sit at unaligned offsets.
    try (SafetensorsFile f =
        SafetensorsFile.parse(
            TestBytes.segment(TestBytes.resource("/fixtures/io/tiny.safetensors")),
            "tiny.safetensors")) {
      assertEquals(Map.of("format", "pt", "source", "make_fixtures.py"), f.metadata());
      assertArrayEquals(
          new float[] {1.5f, -2.25f, 3.0f, 0.125f, 1e-3f, -7.75f},
          f.get("input_blocks.0.0.weight").toFloatArray());
      assertArrayEquals(
          new float[] {0.5f, -1.0f, 2.0f}, f.get("input_blocks.0.0.bias").toFloatArray());
      assertArrayEquals(
          new float[] {1.0f, -0.5f, 3.0f, 256.0f}, f.get("out.2.weight").toFloatArray());
      SafetensorsEntry step = f.get("step");
      assertEquals(SafetensorsDType.I64, step.dtype());
      assertEquals(
          1234L,
          step.data().get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
    }
  }

  @Test
  void halfPrecisionWidensExactly() {
    // F16 0x3C00 = 1, 0xC000 = -2, 0x7BFF = 65504 (max), 0x0001 = 2^-24 (smallest subnormal).
    // BF16 0x3F80 = 1, 0xC0A0 = -5, 0x7F80 = +inf.
    byte[] f16 = {0x00, 0x3C, 0x00, (byte) 0xC0, (byte) 0xFF, 0x7B, 0x01, 0x00};
    byte[] bf16 = {(byte) 0x80, 0x3F, (byte) 0xA0, (byte) 0xC0, (byte) 0x80, 0x7F};
    Map<String, Tensor> t = new LinkedHashMap<>();
    t.put("h", Tensor.ofBytes(SafetensorsDType.F16, new long[] {4}, f16));
    t.put("b", Tensor.ofBytes(SafetensorsDType.BF16, new long[] {3}, bf16));
    try (SafetensorsFile f =
        SafetensorsFile.parse(TestBytes.segment(SafetensorsWriter.toBytes(t, Map.of())), "mem")) {
      assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f}, f.get("h").toFloatArray());
      assertArrayEquals(new float[] {1f, -5f, Float.POSITIVE_INFINITY}, f.get("b").toFloatArray());
    }
  }

  @Test
  void callerErrorsNameTheFileAndKey() {
    Map<String, Tensor> t = new LinkedHashMap<>();
    t.put("w", Tensor.ofFloats(new long[] {2, 2}, 1, 2, 3, 4));
    t.put("n", Tensor.ofBytes(SafetensorsDType.I32, new long[] {1}, new byte[4]));
    try (SafetensorsFile f =
        SafetensorsFile.parse(
            TestBytes.segment(SafetensorsWriter.toBytes(t, Map.of())), "m.safetensors")) {
      CheckpointFormatException e =
          assertThrows(CheckpointFormatException.class, () -> f.get("missing"));
      assertEquals(
          "m.safetensors: tensor 'missing': no such tensor in the checkpoint (it has 2)",
          e.getMessage());
      assertEquals("missing", e.key());

      e = assertThrows(CheckpointFormatException.class, () -> f.get("n").toFloatArray());
      assertEquals(
          "m.safetensors: tensor 'n': dtype I32 is not supported as float data; expected F32, F16"
              + " or BF16",
          e.getMessage());

      e = assertThrows(CheckpointFormatException.class, () -> f.get("w").requireShape(4));
      assertEquals(
          "m.safetensors: tensor 'w': shape [2, 2] where [4] was expected", e.getMessage());
      f.get("w").requireShape(2, 2).requireFloatData();
      assertFalse(f.contains("missing"));
      assertTrue(f.find("w").isPresent());
    }
  }

  /** Zero-byte tensors sit where the previous tensor ends (at 0 for the first), as in safetensors' own validation. */
  @Test
  void emptyTensorsSitOnATensorBoundary() {
    String header =
        "{\"e0\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[8,8]}}";
    try (SafetensorsFile f =
        SafetensorsFile.parse(TestBytes.segment(TestBytes.safetensors(header, 8)), "e")) {
      assertEquals(0, f.get("e").elementCount());
      assertEquals(0, f.get("e0").elementCount());
    }
  }

  @Test
  void writerRejectsInconsistentTensors() {
    assertThrows(
        IllegalArgumentException.class,
        () -> Tensor.ofBytes(SafetensorsDType.F32, new long[] {3}, new byte[8]));
    assertThrows(IllegalArgumentException.class, () -> Tensor.ofFloats(new long[] {-1}));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            SafetensorsWriter.toBytes(
                Map.of("__metadata__", Tensor.ofFloats(new long[] {1}, 1)), Map.of()));
  }

  @Test
  void writerReplacesAtomicallyAndLeavesNoTempFile() throws IOException {
    Path path = dir.resolve("m.safetensors");
    SafetensorsWriter.write(path, Map.of("a", Tensor.ofFloats(new long[] {1}, 1f)));
    SafetensorsWriter.write(path, Map.of("b", Tensor.ofFloats(new long[] {2}, 2f, 3f)));
    try (SafetensorsFile f = SafetensorsFile.open(path)) {
      assertEquals(List.of("b"), new ArrayList<>(f.keys()));
    }
    try (var files = Files.list(dir)) {
      assertEquals(List.of(path), files.toList());
    }
    assertThrows(
        IOException.class,
        () ->
            SafetensorsWriter.write(
                dir.resolve("no/such/dir/x.safetensors"),
                Map.of("a", Tensor.ofFloats(new long[] {1}, 1f))));
  }
}
