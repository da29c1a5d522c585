package org.guidance4j.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Reads and writes NumPy's .npy format (versions 1.0, 2.0 and 3.0) for float32, float64 and int64
 * arrays in C order: magic {@code \x93NUMPY}, a version, a little-endian header length, then a
 * Python dict literal padded with spaces and a newline, then the raw data.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

  /** Far above any real header (NumPy itself refuses more than 10000 bytes by default). */
  static final int MAX_HEADER_BYTES = 1 << 20;

  /** Header plus preamble is padded to this, so the data is aligned for any element type. */
  private static final int ALIGNMENT = 64;

  private Npy() {}

  /** Maps {@code path} into {@code arena} (zero-copy): the array lives as long as the arena. */
  public static NpyArray read(Path path, Arena arena) throws IOException {
    RegularFiles.require(path);
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      MemorySegment mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
      return parse(mapping, path.toString());
    }
  }

  /** Maps {@code path} in an automatic arena: unmapped once the array is unreachable. */
  public static NpyArray read(Path path) throws IOException {
    return read(path, Arena.ofAuto());
  }

  /** Parses a whole .npy image in memory; the array's data is a slice of {@code file}. */
  public static NpyArray parse(MemorySegment file, String name) {
    long size = file.byteSize();
    if (size < MAGIC.length) {
      throw new NpyFormatException(name, "file is " + size + " bytes, too short for a .npy header");
    }
    if (!Arrays.equals(file.asSlice(0, MAGIC.length).toArray(ValueLayout.JAVA_BYTE), MAGIC)) {
      throw new NpyFormatException(name, "not a .npy file (bad magic; expected \\x93NUMPY)");
    }
    if (size < 8) {
      throw new NpyFormatException(name, "truncated header: the file ends inside the version");
    }
    int major = file.get(ValueLayout.JAVA_BYTE, 6) & 0xff;
    int minor = file.get(ValueLayout.JAVA_BYTE, 7) & 0xff;
    if (minor != 0 || major < 1 || major > 3) {
      throw new NpyFormatException(
          name,
          "unsupported .npy format version " + major + "." + minor + "; expected 1.0, 2.0 or 3.0");
    }
    int lengthBytes = major == 1 ? 2 : 4;
    long headerStart = 8 + lengthBytes;
    if (size < headerStart) {
      throw new NpyFormatException(
          name, "truncated header: the file ends inside the header length");
    }
    long headerLength =
        major == 1
            ? file.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8)
                & 0xffffL
            : file.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8)
                & 0xffffffffL;
    if (headerLength > MAX_HEADER_BYTES) {
      throw new NpyFormatException(
          name,
          "header length " + headerLength + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
    }
    if (headerStart + headerLength > size) {
      throw new NpyFormatException(
          name,
          "truncated header: it claims %d bytes but the file has %d after the length"
              .formatted(headerLength, size - headerStart));
    }
    String text = decode(file.asSlice(headerStart, headerLength), major, name);
    NpyHeader header = NpyHeader.parse(text, name);

    long dataStart = headerStart + headerLength;
    long elements = 1;
    long bytes;
    try {
      for (long d : header.shape()) {
        elements = Math.multiplyExact(elements, d);
      }
      bytes = Math.multiplyExact(elements, header.dtype().byteSize());
    } catch (ArithmeticException overflow) {
      throw new NpyFormatException(
          name, "shape " + shapeText(header.shape()) + " overflows a 64-bit byte count");
    }
    if (bytes != size - dataStart) {
      throw new NpyFormatException(
          name,
          "shape %s of %s needs %d bytes of data but the file has %d after the header"
              .formatted(
                  shapeText(header.shape()), header.dtype().numpyName(), bytes, size - dataStart));
    }
    return new NpyArray(name, header.dtype(), header.shape(), file.asSlice(dataStart, bytes));
  }

  /** Writes {@code array} to {@code path} atomically (no partial file is left on failure). */
  public static void write(Path path, NpyArray array) throws IOException {
    byte[] preamble = preamble(array);
    AtomicFiles.write(
        path,
        channel -> {
          AtomicFiles.writeFully(channel, ByteBuffer.wrap(preamble));
          AtomicFiles.writeFully(channel, array.data().asByteBuffer());
        });
  }

  public static void writeFloats(Path path, long[] shape, float... values) throws IOException {
    write(path, NpyArray.ofFloats(shape, values));
  }

  public static void writeDoubles(Path path, long[] shape, double... values) throws IOException {
    write(path, NpyArray.ofDoubles(shape, values));
  }

  public static void writeLongs(Path path, long[] shape, long... values) throws IOException {
    write(path, NpyArray.ofLongs(shape, values));
  }

  /** The whole file as bytes, for small in-memory images (tests, fuzz seeds). */
  static byte[] toBytes(NpyArray array) {
    byte[] preamble = preamble(array);
    byte[] data = array.data().toArray(ValueLayout.JAVA_BYTE);
    byte[] out = Arrays.copyOf(preamble, preamble.length + data.length);
    System.arraycopy(data, 0, out, preamble.length, data.length);
    return out;
  }

  /** Magic, version, header length and the header dict, padded as NumPy pads it. */
  private static byte[] preamble(NpyArray array) {
    return preamble(array.dtype(), array.shape());
  }

  static byte[] preamble(NpyDType dtype, long[] shape) {
    String dict =
        "{'descr': '"
            + dtype.descr()
            + "', 'fortran_order': False, 'shape': "
            + shapeText(shape)
            + ", }";
    // Version 1.0 unless the padded header outgrows its 16-bit length field.
    int major = 1;
    int prefix = MAGIC.length + 2 + 2;
    int total = (prefix + dict.length() + 1 + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    if (total - prefix > 0xffff) {
      major = 2;
      prefix = MAGIC.length + 2 + 4;
      total = (prefix + dict.length() + 1 + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }
    int headerLength = total - prefix;
    ByteBuffer out = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    out.put(MAGIC).put((byte) major).put((byte) 0);
    if (major == 1) {
      out.putShort((short) headerLength);
    } else {
      out.putInt(headerLength);
    }
    out.put(dict.getBytes(StandardCharsets.US_ASCII));
    while (out.position() < total - 1) {
      out.put((byte) ' ');
    }
    out.put((byte) '\n');
    return out.array();
  }

  /** Python's repr of a shape tuple: (), (5,), (2, 3). */
  private static String shapeText(long[] shape) {
    if (shape.length == 1) {
      return "(" + shape[0] + ",)";
    }
    StringBuilder s = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      s.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    return s.append(')').toString();
  }

  private static String decode(MemorySegment bytes, int major, String name) {
    byte[] raw = bytes.toArray(ValueLayout.JAVA_BYTE);
    if (major < 3) {
      return new String(raw, StandardCharsets.ISO_8859_1);
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw))
          .toString();
    } catch (CharacterCodingException e) {
      throw new NpyFormatException(name, "version 3.0 header is not valid UTF-8");
    }
  }
}
