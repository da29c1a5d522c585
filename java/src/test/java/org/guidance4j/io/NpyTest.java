package org.guidance4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NpyTest {
  private static final float[] A = {1.5f, -2.25f, 3.0f, 0.125f, 1e-3f, -7.75f};

  @TempDir Path dir;

  @Test
  void roundTripsEachDtypeAndShape() throws IOException {
    Random random = new Random(3);
    for (long[] shape :
        List.of(
            new long[] {},
            new long[] {5},
            new long[] {2, 3},
            new long[] {0, 3},
            new long[] {3, 1, 4, 1, 5})) {
      int n = (int) Arrays.stream(shape).reduce(1, Math::multiplyExact);
      float[] f = new float[n];
      double[] d = new double[n];
      long[] l = new long[n];
      for (int i = 0; i < n; i++) {
        f[i] = (float) random.nextGaussian();
        d[i] = random.nextGaussian() * 1e200;
        l[i] = random.nextLong();
      }
      Path pf = dir.resolve("f.npy");
      Path pd = dir.resolve("d.npy");
      Path pl = dir.resolve("l.npy");
      Npy.writeFloats(pf, shape, f);
      Npy.writeDoubles(pd, shape, d);
      Npy.writeLongs(pl, shape, l);
      try (Arena arena = Arena.ofConfined()) {
        NpyArray rf = Npy.read(pf, arena);
        assertEquals(NpyDType.FLOAT32, rf.dtype());
        assertArrayEquals(shape, rf.shape());
        assertArrayEquals(f, rf.toFloatArray());
        NpyArray rd = Npy.read(pd, arena);
        assertEquals(NpyDType.FLOAT64, rd.dtype());
        assertArrayEquals(d, rd.toDoubleArray());
        NpyArray rl = Npy.read(pl, arena);
        assertEquals(NpyDType.INT64, rl.dtype());
        assertArrayEquals(l, rl.toLongArray());
        assertEquals(pl.toString(), rl.source());
      }
    }
  }

  @Test
  void writesNumpysHeaderLayout() throws IOException {
    Path p = dir.resolve("a.npy");
    Npy.writeFloats(p, new long[] {2, 3}, A);
    byte[] raw = Files.readAllBytes(p);
    assertEquals(128 + 24, raw.length);
    String header = new String(raw, 10, 118, StandardCharsets.US_ASCII);
    assertTrue(
        header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), header);
    assertTrue(header.endsWith(" \n"));
    assertEquals(1, raw[6]);
    // Byte-identical to what NumPy wrote for the same array.
    assertArrayEquals(TestBytes.resource("/fixtures/io/float32_2x3.npy"), raw);

    Npy.writeFloats(p, new long[] {6}, A);
    String oneD = new String(Files.readAllBytes(p), 10, 60, StandardCharsets.US_ASCII);
    assertTrue(oneD.contains("'shape': (6,), }"), oneD);
  }

  @Test
  void switchesToVersion2WhenTheHeaderOutgrows16Bits() throws IOException {
    long[] shape = new long[23_000];
    Arrays.fill(shape, 1);
    Path p = dir.resolve("wide.npy");
    Npy.writeFloats(p, shape, 9.5f);
    byte[] raw = Files.readAllBytes(p);
    assertEquals(2, raw[6]);
    assertEquals(0, (raw.length - 4) % 64);
    NpyArray back = Npy.read(p);
    assertEquals(23_000, back.shape().length);
    assertArrayEquals(new float[] {9.5f}, back.toFloatArray());
  }

  @Test
  void readsFilesWrittenByNumpy() {
    NpyArray a = parseFixture("float32_2x3.npy");
    assertArrayEquals(new long[] {2, 3}, a.shape());
    assertArrayEquals(A, a.toFloatArray());
    assertArrayEquals(A, parseFixture("float32_v2.npy").toFloatArray());
    assertArrayEquals(A, parseFixture("float32_v3.npy").toFloatArray());
    assertArrayEquals(
        new double[] {0.1, -2.5, 1e300, 3.0}, parseFixture("float64_4.npy").toDoubleArray());
    assertArrayEquals(
        new long[] {0, -1, 1L << 40, 7, -(1L << 62)}, parseFixture("int64_5.npy").toLongArray());
    NpyArray scalar = parseFixture("float32_scalar.npy");
    assertEquals(0, scalar.shape().length);
    assertArrayEquals(new float[] {42.5f}, scalar.toFloatArray());
    NpyArray empty = parseFixture("float32_0x3.npy");
    assertArrayEquals(new long[] {0, 3}, empty.shape());
    assertEquals(0, empty.toFloatArray().length);
  }

  private static NpyArray parseFixture(String name) {
    return Npy.parse(MemorySegment.ofArray(TestBytes.resource("/fixtures/io/" + name)), name);
  }

  @Test
  void conversionsFollowTheDtype() {
    NpyArray d = NpyArray.ofDoubles(new long[] {2}, 0.1, 1e300);
    assertArrayEquals(new float[] {0.1f, Float.POSITIVE_INFINITY}, d.toFloatArray());
    assertArrayEquals(
        new double[] {1.5, -2.25}, NpyArray.ofFloats(new long[] {2}, 1.5f, -2.25f).toDoubleArray());
    NpyFormatException e =
        assertThrows(
            NpyFormatException.class, () -> NpyArray.ofLongs(new long[] {1}, 3).toFloatArray());
    assertEquals(
        "<memory>: dtype int64 cannot be read as float; expected float32 or float64",
        e.getMessage());
    e = assertThrows(NpyFormatException.class, () -> parseFixture("float32_2x3.npy").toLongArray());
    assertEquals(
        "float32_2x3.npy: dtype float32 cannot be read as long; expected int64", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> NpyArray.ofFloats(new long[] {2, 2}, 1f));
  }

  /** name, image, expected message after "name: ". */
  static Stream<Arguments> badFiles() {
    byte[] good = TestBytes.resource("/fixtures/io/float32_2x3.npy");
    return Stream.of(
        Arguments.of(
            "float16.npy",
            fixture("float16.npy"),
            "dtype '<f2' not supported; expected float32, float64 or int64"),
        Arguments.of(
            "bool.npy",
            fixture("bool.npy"),
            "dtype '|b1' not supported; expected float32, float64 or int64"),
        Arguments.of(
            "big_endian.npy",
            fixture("big_endian.npy"),
            "big-endian dtype '>f4' not supported; expected float32, float64 or int64 in"
                + " little-endian order"),
        Arguments.of(
            "fortran.npy",
            fixture("fortran.npy"),
            "fortran_order True (column-major) is not supported; save a C-order array"
                + " (numpy.ascontiguousarray)"),
        Arguments.of(
            "structured.npy",
            fixture("structured.npy"),
            "structured dtype [('x', '<f4'), ('y', '<i8')] not supported; expected float32, float64"
                + " or int64"),
        Arguments.of("empty.npy", new byte[0], "file is 0 bytes, too short for a .npy header"),
        Arguments.of(
            "magic.npy",
            "PK\3\4 not numpy at all".getBytes(StandardCharsets.ISO_8859_1),
            "not a .npy file (bad magic; expected \\x93NUMPY)"),
        Arguments.of(
            "short.npy",
            Arrays.copyOf(good, 7),
            "truncated header: the file ends inside the version"),
        Arguments.of(
            "short2.npy",
            Arrays.copyOf(good, 9),
            "truncated header: the file ends inside the header length"),
        Arguments.of(
            "short3.npy",
            Arrays.copyOf(good, 100),
            "truncated header: it claims 118 bytes but the file has 90 after the length"),
        Arguments.of(
            "version.npy",
            withByte(good, 6, 4),
            "unsupported .npy format version 4.0; expected 1.0, 2.0 or 3.0"),
        Arguments.of(
            "minor.npy",
            withByte(good, 7, 1),
            "unsupported .npy format version 1.1; expected 1.0, 2.0 or 3.0"),
        Arguments.of(
            "data-short.npy",
            Arrays.copyOf(good, good.length - 4),
            "shape (2, 3) of float32 needs 24 bytes of data but the file has 20 after the header"),
        Arguments.of(
            "data-long.npy",
            Arrays.copyOf(good, good.length + 4),
            "shape (2, 3) of float32 needs 24 bytes of data but the file has 28 after the header"),
        Arguments.of(
            "v2-huge.npy",
            npy(2, "{}", 0xFFFFFFF0L),
            "header length 4294967280 exceeds the limit of 1048576 bytes"),
        Arguments.of(
            "missing-key.npy",
            npy(1, "{'descr': '<f4', 'shape': (1,), }", -1),
            "header lacks 'fortran_order'"),
        Arguments.of(
            "extra-key.npy",
            npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", -1),
            "header has unexpected key 'x'"),
        Arguments.of(
            "shape-list.npy",
            npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': [1], }", -1),
            "'shape' is [1], not a tuple"),
        Arguments.of(
            "shape-paren.npy",
            npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1), }", -1),
            "'shape' is 1, not a tuple"),
        Arguments.of(
            "shape-str.npy",
            npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ('2',), }", -1),
            "'shape' ('2',) has an entry that is not a non-negative integer"),
        Arguments.of(
            "shape-huge.npy",
            npy(
                1,
                "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
                -1),
            "header is not a valid dict literal at character 51: integer 99999999999999999999 is"
                + " too large"),
        Arguments.of(
            "overflow.npy",
            npy(
                1,
                "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
                -1),
            "shape (4611686018427387904, 4) overflows a 64-bit byte count"),
        Arguments.of(
            "fortran-type.npy",
            npy(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", -1),
            "'fortran_order' is 0, not True or False"),
        Arguments.of(
            "garbage.npy",
            npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x", -1),
            "header is not a valid dict literal at character 58: unexpected 'x' after the header"
                + " dict"),
        Arguments.of("not-dict.npy", npy(1, "('descr', '<f4')", -1), "header is not a Python dict"),
        Arguments.of(
            "unterminated.npy",
            npy(1, "{'descr': '<f4", -1),
            "header is not a valid dict literal at character 14: unterminated string"),
        Arguments.of(
            "deep.npy",
            npy(1, "(".repeat(40), -1),
            "header is not a valid dict literal at character 32: nesting deeper than 32"),
        Arguments.of(
            "v3-utf8.npy",
            npyBytes(3, new byte[] {'{', '\'', (byte) 0xFF, '\'', '}'}, -1),
            "version 3.0 header is not valid UTF-8"));
  }

  private static byte[] fixture(String name) {
    return TestBytes.resource("/fixtures/io/" + name);
  }

  private static byte[] withByte(byte[] b, int at, int value) {
    byte[] copy = b.clone();
    copy[at] = (byte) value;
    return copy;
  }

  /**
   * A .npy preamble with {@code dict} as header and a header length of {@code length} (-1: the real
   * one).
   */
  private static byte[] npy(int major, String dict, long length) {
    return npyBytes(major, dict.getBytes(StandardCharsets.ISO_8859_1), length);
  }

  private static byte[] npyBytes(int major, byte[] dict, long length) {
    int lengthBytes = major == 1 ? 2 : 4;
    long n = length < 0 ? dict.length : length;
    byte[] out = new byte[8 + lengthBytes + dict.length];
    byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0};
    System.arraycopy(magic, 0, out, 0, 8);
    for (int i = 0; i < lengthBytes; i++) {
      out[8 + i] = (byte) (n >>> (8 * i));
    }
    System.arraycopy(dict, 0, out, 8 + lengthBytes, dict.length);
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFiles")
  void rejectsWithAClearMessage(String name, byte[] image, String detail) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, image);
    NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(p));
    assertEquals(p + ": " + detail, e.getMessage());
    assertEquals(p.toString(), e.file());
  }

  @Test
  void theBriefsExampleMessage() {
    NpyFormatException e =
        assertThrows(
            NpyFormatException.class,
            () -> Npy.parse(MemorySegment.ofArray(fixture("float16.npy")), "x.npy"));
    assertEquals(
        "x.npy: dtype '<f2' not supported; expected float32, float64 or int64", e.getMessage());
  }

  @Test
  void acceptsPython2LongLiteralsAndDoubleQuotes() {
    byte[] head =
        npy(1, "{\"descr\": \"<i8\", \"fortran_order\": False, \"shape\": (1L, 2L), }\n", -1);
    byte[] image = Arrays.copyOf(head, head.length + 16);
    image[head.length] = 5;
    NpyArray a = Npy.parse(MemorySegment.ofArray(image), "py2.npy");
    assertArrayEquals(new long[] {1, 2}, a.shape());
    assertArrayEquals(new long[] {5, 0}, a.toLongArray());
  }

  @Test
  void failedWritesLeaveNoFileBehind() throws IOException {
    Path p = dir.resolve("out.npy");
    NpyArray closed;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment data = arena.allocate(8);
      closed = new NpyArray("x", NpyDType.FLOAT32, new long[] {2}, data);
    }
    assertThrows(IllegalStateException.class, () -> Npy.write(p, closed));
    Npy.writeFloats(p, new long[] {1}, 1f);
    assertThrows(IllegalStateException.class, () -> Npy.write(p, closed));
    assertArrayEquals(new float[] {1f}, Npy.read(p).toFloatArray(), "the old file must survive");
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(p), files.toList());
    }
    assertThrows(
        IOException.class,
        () -> Npy.writeFloats(dir.resolve("missing/dir/a.npy"), new long[] {1}, 1f));
  }
}
