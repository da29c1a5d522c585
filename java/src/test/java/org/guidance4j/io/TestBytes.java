package org.guidance4j.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Hand-assembled file images for the validation and fuzz tests. */
final class TestBytes {
  private TestBytes() {}

  /**
   * A safetensors image: length field, {@code header} exactly as given, then {@code dataBytes}
   * bytes.
   */
  static byte[] safetensors(String header, int dataBytes) {
    byte[] text = header.getBytes(StandardCharsets.UTF_8);
    return safetensorsWithLength(text.length, text, dataBytes);
  }

  /** Like {@link #safetensors} but with any value in the length field. */
  static byte[] safetensorsWithLength(long length, byte[] header, int dataBytes) {
    ByteBuffer b =
        ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(length).put(header);
    for (int i = 0; i < dataBytes; i++) {
      b.put((byte) (i * 37 + 11)); // non-zero, position-dependent
    }
    return b.array();
  }

  static MemorySegment segment(byte[] bytes) {
    return MemorySegment.ofArray(bytes);
  }

  static byte[] resource(String path) {
    try (InputStream in = TestBytes.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] truncate(byte[] bytes, int drop) {
    return Arrays.copyOf(bytes, bytes.length - drop);
  }
}
