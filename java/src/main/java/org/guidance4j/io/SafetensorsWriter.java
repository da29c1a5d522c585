package org.guidance4j.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes .safetensors files (for tools and tests): tensors in the map's order, the header padded
 * with spaces to a multiple of 8 bytes so every tensor starts 8-byte aligned in the file, and the
 * file replaced atomically.
 */
public final class SafetensorsWriter {
  private SafetensorsWriter() {}

  /**
   * One tensor to write: {@code data} holds its little-endian bytes, exactly as many as the shape
   * needs.
   */
  public record Tensor(SafetensorsDType dtype, long[] shape, MemorySegment data) {
    public Tensor {
      shape = shape.clone();
      long elements = 1;
      for (long d : shape) {
        if (d < 0) {
          throw new IllegalArgumentException(
              "negative dimension in shape " + Arrays.toString(shape));
        }
        elements = Math.multiplyExact(elements, d);
      }
      long bytes = Math.multiplyExact(elements, dtype.byteSize());
      if (bytes != data.byteSize()) {
        throw new IllegalArgumentException(
            "shape "
                + Arrays.toString(shape)
                + " of "
                + dtype
                + " needs "
                + bytes
                + " bytes, data has "
                + data.byteSize());
      }
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }

    /** An F32 tensor holding {@code values}. */
    public static Tensor ofFloats(long[] shape, float... values) {
      MemorySegment data = MemorySegment.ofArray(new byte[Math.multiplyExact(values.length, 4)]);
      MemorySegment.copy(
          values,
          0,
          data,
          ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
          0,
          values.length);
      return new Tensor(SafetensorsDType.F32, shape, data);
    }

    /** A tensor of any dtype from raw little-endian bytes. */
    public static Tensor ofBytes(SafetensorsDType dtype, long[] shape, byte[] bytes) {
      return new Tensor(dtype, shape, MemorySegment.ofArray(bytes.clone()));
    }
  }

  public static void write(Path path, Map<String, Tensor> tensors) throws IOException {
    write(path, tensors, Map.of());
  }

  /**
   * Writes {@code tensors} (in iteration order) and {@code metadata} to {@code path} atomically.
   */
  public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    byte[] header = header(tensors, metadata);
    List<Tensor> order = new ArrayList<>(tensors.values());
    AtomicFiles.write(
        path,
        channel -> {
          AtomicFiles.writeFully(channel, ByteBuffer.wrap(header));
          for (Tensor t : order) {
            AtomicFiles.writeFully(channel, t.data().asByteBuffer());
          }
        });
  }

  /** The whole file as bytes, for small in-memory checkpoints (tests, fuzz seeds). */
  static byte[] toBytes(Map<String, Tensor> tensors, Map<String, String> metadata) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(header(tensors, metadata));
    for (Tensor t : tensors.values()) {
      out.writeBytes(t.data().toArray(ValueLayout.JAVA_BYTE));
    }
    return out.toByteArray();
  }

  /** The length field and the padded JSON header. */
  private static byte[] header(Map<String, Tensor> tensors, Map<String, String> metadata) {
    Map<String, Object> json = new LinkedHashMap<>();
    if (!metadata.isEmpty()) {
      json.put("__metadata__", metadata);
    }
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      if (e.getKey().equals("__metadata__")) {
        throw new IllegalArgumentException("\"__metadata__\" is reserved and cannot name a tensor");
      }
      Tensor t = e.getValue();
      long end = offset + t.data().byteSize();
      List<Long> shape = Arrays.stream(t.shape()).boxed().toList();
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("dtype", t.dtype().name());
      fields.put("shape", shape);
      fields.put("data_offsets", List.of(offset, end));
      json.put(e.getKey(), fields);
      offset = end;
    }
    byte[] text = Json.write(json).getBytes(StandardCharsets.UTF_8);
    int padded = (text.length + 7) / 8 * 8;
    ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(padded).put(text);
    while (out.hasRemaining()) {
      out.put((byte) ' ');
    }
    return out.array();
  }
}
