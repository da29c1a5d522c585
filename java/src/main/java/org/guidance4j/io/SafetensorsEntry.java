package org.guidance4j.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor of a {@link SafetensorsFile}: its key, dtype, shape and a zero-copy slice of the
 * file's mapping. The slice is valid until the file is closed, is little-endian, and is not
 * necessarily aligned to the element size (the data section starts wherever the header ends), so
 * read it with the {@code *_UNALIGNED} layouts.
 */
public final class SafetensorsEntry {
  private static final ValueLayout.OfFloat F32 =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort U16 =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final String file;
  private final String key;
  private final SafetensorsDType dtype;
  private final long[] shape;
  private final long elementCount;
  private final MemorySegment data;

  SafetensorsEntry(
      String file,
      String key,
      SafetensorsDType dtype,
      long[] shape,
      long elementCount,
      MemorySegment data) {
    this.file = file;
    this.key = key;
    this.dtype = dtype;
    this.shape = shape.clone();
    this.elementCount = elementCount;
    this.data = data;
  }

  public String key() {
    return key;
  }

  public SafetensorsDType dtype() {
    return dtype;
  }

  /** The shape (a copy; empty for a scalar). */
  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  /** Product of the shape (1 for a scalar); checked against the byte range when the file opened. */
  public long elementCount() {
    return elementCount;
  }

  /** The tensor's bytes inside the file mapping: read-only, little-endian, maybe unaligned. */
  public MemorySegment data() {
    return data;
  }

  /** Throws unless this tensor holds F32, F16 or BF16 data, naming the file and key. */
  public SafetensorsEntry requireFloatData() {
    if (!dtype.isFloatData()) {
      throw new CheckpointFormatException(
          file,
          key,
          "dtype " + dtype + " is not supported as float data; expected F32, F16 or BF16");
    }
    return this;
  }

  /** Throws unless the shape is exactly {@code expected}, naming the file and key. */
  public SafetensorsEntry requireShape(long... expected) {
    if (!Arrays.equals(shape, expected)) {
      throw new CheckpointFormatException(
          file,
          key,
          "shape "
              + Arrays.toString(shape)
              + " where "
              + Arrays.toString(expected)
              + " was expected");
    }
    return this;
  }

  /** Element {@code index} widened to float (F32, F16 or BF16 only). */
  public float getFloat(long index) {
    requireFloatData();
    return widen(index);
  }

  private float widen(long index) {
    return switch (dtype) {
      case F32 -> data.getAtIndex(F32, index);
      case F16 -> Float.float16ToFloat(data.getAtIndex(U16, index));
      case BF16 -> Float.intBitsToFloat((data.getAtIndex(U16, index) & 0xffff) << 16);
      default -> throw new AssertionError(dtype);
    };
  }

  /** A heap copy of the data widened to float: for tests, tools and small tensors. */
  public float[] toFloatArray() {
    requireFloatData();
    if (elementCount > Integer.MAX_VALUE - 8) {
      throw new CheckpointFormatException(
          file, key, elementCount + " elements do not fit in a Java array; use data() instead");
    }
    float[] out = new float[(int) elementCount];
    if (dtype == SafetensorsDType.F32) {
      MemorySegment.copy(data, F32, 0, out, 0, out.length);
    } else {
      for (int i = 0; i < out.length; i++) {
        out[i] = widen(i);
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return key + " " + dtype + Arrays.toString(shape);
  }
}
