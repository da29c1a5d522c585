package org.guidance4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.guidance4j.io.SafetensorsWriter.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The corrupt-file set: every check the header validation makes, with its message. */
class SafetensorsValidationTest {
  @TempDir Path dir;

  private static String entry(String key, String dtype, String shape, String offsets) {
    return "\""
        + key
        + "\":{\"dtype\":\""
        + dtype
        + "\",\"shape\":"
        + shape
        + ",\"data_offsets\":"
        + offsets
        + "}";
  }

  private static byte[] header(String json, int dataBytes) {
    return TestBytes.safetensors(json, dataBytes);
  }

  private static byte[] valid() {
    return SafetensorsWriter.toBytes(
        Map.of("w", Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6)), Map.of());
  }

  /** name, image, expected key (null: the file as a whole), expected message after "name: ". */
  static Stream<Arguments> corruptFiles() {
    byte[] text = "{}".getBytes(StandardCharsets.UTF_8);
    return Stream.of(
        Arguments.of(
            "empty", new byte[0], null, "file is 0 bytes, too short for the 8-byte header length"),
        Arguments.of(
            "seven", new byte[7], null, "file is 7 bytes, too short for the 8-byte header length"),
        Arguments.of(
            "absurd",
            TestBytes.safetensorsWithLength(1L << 40, text, 0),
            null,
            "header length 1099511627776 is absurd (the limit is 100000000 bytes); not a"
                + " safetensors file?"),
        Arguments.of(
            "negative",
            TestBytes.safetensorsWithLength(-1, text, 0),
            null,
            "header length 18446744073709551615 is absurd (the limit is 100000000 bytes); not a"
                + " safetensors file?"),
        Arguments.of(
            "past-end",
            TestBytes.safetensorsWithLength(3, text, 0),
            null,
            "header length 3 runs past the end of the file (10 bytes)"),
        Arguments.of(
            "truncated",
            TestBytes.truncate(valid(), 4),
            "w",
            "data_offsets [0, 24] run past the data section (20 bytes)"),
        Arguments.of(
            "bad-json",
            header("{\"w\":{\"dtype\":\"F32\",}}", 0),
            null,
            "header: invalid JSON at line 1, column 21 (offset 20): unexpected character '}',"
                + " expected a string key"),
        Arguments.of(
            "bad-utf8",
            TestBytes.safetensorsWithLength(4, new byte[] {'{', '"', (byte) 0xC3, '"'}, 0),
            null,
            "header is not valid UTF-8 (byte 10)"),
        Arguments.of("not-object", header("[1, 2]", 0), null, "header is not a JSON object"),
        Arguments.of(
            "entry-not-object", header("{\"w\": 5}", 0), "w", "header entry is not a JSON object"),
        Arguments.of(
            "no-dtype",
            header("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
            "w",
            "missing or non-string \"dtype\""),
        Arguments.of(
            "unknown-dtype",
            header("{" + entry("w", "F17", "[1]", "[0,4]") + "}", 4),
            "w",
            "unknown dtype 'F17'"),
        Arguments.of(
            "shape-not-list",
            header("{" + entry("w", "F32", "4", "[0,4]") + "}", 4),
            "w",
            "\"shape\" must be a list of non-negative integers, got 4"),
        Arguments.of(
            "shape-negative",
            header("{" + entry("w", "F32", "[-1]", "[0,4]") + "}", 4),
            "w",
            "\"shape\" must be a list of non-negative integers, got [-1]"),
        Arguments.of(
            "shape-fraction",
            header("{" + entry("w", "F32", "[1.5]", "[0,4]") + "}", 4),
            "w",
            "\"shape\" must be a list of non-negative integers, got [1.5]"),
        Arguments.of(
            "shape-string",
            header("{" + entry("w", "F32", "[\"2\"]", "[0,8]") + "}", 8),
            "w",
            "\"shape\" must be a list of non-negative integers, got [\"2\"]"),
        Arguments.of(
            "offsets-one",
            header("{" + entry("w", "F32", "[1]", "[4]") + "}", 4),
            "w",
            "\"data_offsets\" must be [begin, end] with non-negative integers, got [4]"),
        Arguments.of(
            "offsets-negative",
            header("{" + entry("w", "F32", "[1]", "[-4,0]") + "}", 4),
            "w",
            "\"data_offsets\" must be [begin, end] with non-negative integers, got [-4,0]"),
        Arguments.of(
            "offsets-missing",
            header("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4),
            "w",
            "\"data_offsets\" must be [begin, end] with non-negative integers, got nothing"),
        Arguments.of(
            "begin-after-end",
            header("{" + entry("w", "F32", "[1]", "[8,4]") + "}", 8),
            "w",
            "data_offsets [8, 4] begin after they end"),
        Arguments.of(
            "beyond-data",
            header("{" + entry("w", "F32", "[2]", "[0,8]") + "}", 6),
            "w",
            "data_offsets [0, 8] run past the data section (6 bytes)"),
        Arguments.of(
            "huge-offset",
            header(
                "{" + entry("w", "F32", "[1]", "[9223372036854775803,9223372036854775807]") + "}",
                4),
            "w",
            "data_offsets [9223372036854775803, 9223372036854775807] run past the data section (4"
                + " bytes)"),
        Arguments.of(
            "wrong-product",
            header("{" + entry("w", "F32", "[2,3]", "[0,20]") + "}", 24),
            "w",
            "shape [2, 3] of F32 needs 24 bytes but data_offsets [0, 20] hold 20"),
        Arguments.of(
            "overflow",
            header("{" + entry("w", "F32", "[4611686018427387904,4]", "[0,4]") + "}", 4),
            "w",
            "shape [4611686018427387904, 4] of F32 overflows a 64-bit byte count"),
        Arguments.of(
            "overflow-bytes",
            header("{" + entry("w", "F64", "[2305843009213693952]", "[0,4]") + "}", 4),
            "w",
            "shape [2305843009213693952] of F64 overflows a 64-bit byte count"),
        Arguments.of(
            "overlap",
            header(
                "{"
                    + entry("a", "F32", "[2]", "[0,8]")
                    + ","
                    + entry("b", "F32", "[2]", "[4,12]")
                    + "}",
                12),
            "b",
            "data_offsets [4, 12] overlap those of tensor 'a' [0, 8]"),
        Arguments.of(
            "overlap-unsorted",
            header(
                "{"
                    + entry("late", "U8", "[4]", "[8,12]")
                    + ","
                    + entry("early", "U8", "[10]", "[0,10]")
                    + "}",
                12),
            "late",
            "data_offsets [8, 12] overlap those of tensor 'early' [0, 10]"),
        Arguments.of(
            "same-range",
            header(
                "{"
                    + entry("a", "U8", "[4]", "[0,4]")
                    + ","
                    + entry("b", "I32", "[1]", "[0,4]")
                    + "}",
                4),
            "b",
            "data_offsets [0, 4] overlap those of tensor 'a' [0, 4]"),
        Arguments.of(
            "hole",
            header("{" + entry("a", "U8", "[2]", "[0,2]") + "," + entry("b", "U8", "[1]", "[4,5]") + "}", 5),
            "b",
            "data_offsets [4, 5] leave bytes [2, 4) of the data section to no tensor (after tensor 'a'); the tensors"
                + " must cover it without holes"),
        Arguments.of(
            "hole-at-start",
            header("{" + entry("a", "U8", "[2]", "[3,5]") + "}", 5),
            "a",
            "data_offsets [3, 5] leave bytes [0, 3) of the data section to no tensor (the first tensor must start at"
                + " 0); the tensors must cover it without holes"),
        Arguments.of(
            "trailing",
            header("{" + entry("a", "U8", "[2]", "[0,2]") + "}", 7),
            null,
            "the data section after the 53-byte header is 7 bytes but the tensors cover 2: 5 trailing bytes (a wrong"
                + " header length, or bytes appended to the file?)"),
        Arguments.of(
            "no-tensors-but-data",
            header("{}", 3),
            null,
            "the data section after the 2-byte header is 3 bytes but the tensors cover 0: 3 trailing bytes (a wrong"
                + " header length, or bytes appended to the file?)"),
        Arguments.of(
            "empty-tensor-inside-another",
            header("{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("e", "F32", "[0]", "[4,4]") + "}", 8),
            "e",
            "data_offsets [4, 4] overlap those of tensor 'a' [0, 8]"),
        Arguments.of(
            "metadata-not-object",
            header("{\"__metadata__\":[]}", 0),
            null,
            "\"__metadata__\" is not a JSON object"),
        Arguments.of(
            "metadata-not-string",
            header("{\"__metadata__\":{\"epoch\":3}}", 0),
            null,
            "\"__metadata__\" value of \"epoch\" is not a string"),
        Arguments.of(
            "duplicate-key",
            header(
                "{"
                    + entry("w", "U8", "[1]", "[0,1]")
                    + ","
                    + entry("w", "U8", "[1]", "[1,2]")
                    + "}",
                2),
            null,
            "header: invalid JSON at line 1, column 54 (offset 53): duplicate key \"w\""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corruptFiles")
  void rejectsCorruptFile(String name, byte[] image, String key, String detail) {
    String file = name + ".safetensors";
    CheckpointFormatException e =
        assertThrows(
            CheckpointFormatException.class,
            () -> SafetensorsFile.parse(TestBytes.segment(image), file));
    String where = key == null ? "" : "tensor '" + key + "': ";
    assertEquals(file + ": " + where + detail, e.getMessage());
    assertEquals(file, e.file());
    assertEquals(key, e.key());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corruptFiles")
  void rejectsCorruptFileOnDisk(String name, byte[] image, String key, String detail)
      throws IOException {
    Path path = dir.resolve(name + ".safetensors");
    Files.write(path, image);
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> SafetensorsFile.open(path));
    assertTrue(e.getMessage().startsWith(path + ": "), e.getMessage());
    assertTrue(e.getMessage().endsWith(detail), e.getMessage());
  }

  /**
   * A header length a few bytes short still parses (the JSON ends in padding spaces) but shifts
   * every tensor: the trailing bytes it leaves are what gives it away.
   */
  @Test
  void aHeaderLengthAFewBytesShortIsRefused() {
    // the JSON ends in three padding spaces, as the writers pad headers to 8 bytes
    String json = "{" + entry("w", "U8", "[4]", "[0,4]") + "}   ";
    byte[] good = header(json, 4);
    SafetensorsFile.parse(TestBytes.segment(good), "good").close();
    for (int shorter = 1; shorter <= 3; shorter++) {
      byte[] image = good.clone();
      java.nio.ByteBuffer.wrap(image).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, json.length() - shorter);
      CheckpointFormatException e =
          assertThrows(CheckpointFormatException.class, () -> SafetensorsFile.parse(TestBytes.segment(image), "short"));
      assertTrue(e.getMessage().contains(shorter + " trailing byte"), e.getMessage());
    }
  }

  @Test
  void aMissingFileIsAnIoError() {
    assertThrows(IOException.class, () -> SafetensorsFile.open(dir.resolve("absent.safetensors")));
  }

  @Test
  void aValidImageStillParses() {
    try (SafetensorsFile f = SafetensorsFile.parse(TestBytes.segment(valid()), "valid")) {
      assertEquals(6, f.get("w").elementCount());
    }
  }
}
