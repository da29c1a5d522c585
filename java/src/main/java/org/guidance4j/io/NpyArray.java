package org.guidance4j.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An n-d array read from or to be written to a .npy file: C order, little-endian {@code data} (not
 * necessarily aligned: read it with the {@code *_UNALIGNED} layouts). {@code source} is the file
 * name used in errors.
 */
public record NpyArray(String source, NpyDType dtype, long[] shape, MemorySegment data) {
  private static final ValueLayout.OfFloat F32 =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfDouble F64 =
      ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong I64 =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** Checks that {@code data} holds exactly the bytes the shape needs. */
  public NpyArray {
    shape = shape.clone();
    long bytes = Math.multiplyExact(elementCount(shape), dtype.byteSize());
    if (bytes != data.byteSize()) {
      throw new IllegalArgumentException(
          source
              + ": shape "
              + Arrays.toString(shape)
              + " of "
              + dtype.numpyName()
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

  /** Product of the shape (1 for a 0-d array). */
  public long elementCount() {
    return elementCount(shape);
  }

  public static NpyArray ofFloats(long[] shape, float... values) {
    MemorySegment data = MemorySegment.ofArray(new byte[Math.multiplyExact(values.length, 4)]);
    MemorySegment.copy(values, 0, data, F32, 0, values.length);
    return new NpyArray("<memory>", NpyDType.FLOAT32, shape, data);
  }

  public static NpyArray ofDoubles(long[] shape, double... values) {
    MemorySegment data = MemorySegment.ofArray(new byte[Math.multiplyExact(values.length, 8)]);
    MemorySegment.copy(values, 0, data, F64, 0, values.length);
    return new NpyArray("<memory>", NpyDType.FLOAT64, shape, data);
  }

  public static NpyArray ofLongs(long[] shape, long... values) {
    MemorySegment data = MemorySegment.ofArray(new byte[Math.multiplyExact(values.length, 8)]);
    MemorySegment.copy(values, 0, data, I64, 0, values.length);
    return new NpyArray("<memory>", NpyDType.INT64, shape, data);
  }

  /** The elements as floats: float32 copied, float64 rounded to nearest. */
  public float[] toFloatArray() {
    int n = heapLength();
    float[] out = new float[n];
    switch (dtype) {
      case FLOAT32 -> MemorySegment.copy(data, F32, 0, out, 0, n);
      case FLOAT64 -> {
        for (int i = 0; i < n; i++) {
          out[i] = (float) data.getAtIndex(F64, i);
        }
      }
      case INT64 -> throw notA("float", "float32 or float64");
    }
    return out;
  }

  /** The elements as doubles (float32 widened exactly). */
  public double[] toDoubleArray() {
    int n = heapLength();
    double[] out = new double[n];
    switch (dtype) {
      case FLOAT64 -> MemorySegment.copy(data, F64, 0, out, 0, n);
      case FLOAT32 -> {
        for (int i = 0; i < n; i++) {
          out[i] = data.getAtIndex(F32, i);
        }
      }
      case INT64 -> throw notA("double", "float32 or float64");
    }
    return out;
  }

  /** The elements of an int64 array. */
  public long[] toLongArray() {
    int n = heapLength();
    if (dtype != NpyDType.INT64) {
      throw notA("long", "int64");
    }
    long[] out = new long[n];
    MemorySegment.copy(data, I64, 0, out, 0, n);
    return out;
  }

  @Override
  public String toString() {
    return "NpyArray[" + source + ", " + dtype.numpyName() + Arrays.toString(shape) + "]";
  }

  private NpyFormatException notA(String javaType, String expected) {
    return new NpyFormatException(
        source,
        "dtype " + dtype.numpyName() + " cannot be read as " + javaType + "; expected " + expected);
  }

  private int heapLength() {
    long n = elementCount();
    if (n > Integer.MAX_VALUE - 8) {
      throw new NpyFormatException(
          source, n + " elements do not fit in a Java array; use data() instead");
    }
    return (int) n;
  }

  private static long elementCount(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }
}
