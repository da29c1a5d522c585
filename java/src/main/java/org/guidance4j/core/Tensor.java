package org.guidance4j.core;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A contiguous, row-major array of {@link DType} elements on one {@link Device}.
 *
 * <p>Ownership: a tensor from a factory ({@link #empty}, {@link #fromArray}, {@link #copyTo}...)
 * owns its memory and frees it on {@link #close()}. {@link #reshape} and {@link #slice} return
 * views into the same memory: closing a view frees nothing, and a view stops working once the
 * tensor owning the memory is closed. {@link #wrap} borrows a caller's segment and never frees
 * it. {@code close()} is idempotent.
 *
 * <p>Ops run on the device's default stream, in order; methods that hand data to Java
 * ({@link #toFloatArray}, copies to the CPU) wait for it.
 */
public final class Tensor implements AutoCloseable {
  private final Storage storage;
  private final long offset;
  private final DType dtype;
  private final long[] shape;
  private final long numel;
  private final boolean owner;
  private volatile boolean closed;

  private Tensor(Storage storage, long offset, DType dtype, long[] shape, boolean owner) {
    this.storage = storage;
    this.offset = offset;
    this.dtype = dtype;
    this.shape = shape;
    this.numel = numel(shape);
    this.owner = owner;
  }

  // ---- factories -------------------------------------------------------------------------

  /** Uninitialised memory (ops never read their outputs first, so this is the usual output). */
  public static Tensor empty(Device device, DType dtype, long... shape) {
    long[] s = checkShape("Tensor.empty", shape);
    return new Tensor(Storage.allocate(device, bytes(dtype, s)), 0, dtype, s, true);
  }

  public static Tensor zeros(Device device, DType dtype, long... shape) {
    Tensor t = empty(device, dtype, shape);
    try {
      return Ops.fill(t, 0f);
    } catch (RuntimeException e) {
      t.close();
      throw e;
    }
  }

  /** A CPU tensor in {@link PinnedBuffer}-style memory: the fast source/target of device copies. */
  public static Tensor pinned(DType dtype, long... shape) {
    long[] s = checkShape("Tensor.pinned", shape);
    return new Tensor(Storage.pinned(bytes(dtype, s)), 0, dtype, s, true);
  }

  /** An F32 tensor holding a copy of {@code data}; no shape means the 1-D shape (data.length). */
  public static Tensor fromArray(Device device, float[] data, long... shape) {
    long[] s = shape.length == 0 ? new long[] {data.length} : checkShape("Tensor.fromArray", shape);
    if (numel(s) != data.length) {
      throw new InvalidArgumentException(
          "Tensor.fromArray",
          "shape " + Arrays.toString(s) + " holds " + numel(s) + " elements but data has " + data.length);
    }
    Tensor t = empty(device, DType.F32, s);
    try {
      t.copyFrom(data);
      return t;
    } catch (RuntimeException e) {
      t.close();
      throw e;
    }
  }

  /**
   * A CPU tensor over {@code segment} without copying (e.g. a region of a memory-mapped
   * checkpoint). The tensor never frees the segment; the segment must stay valid while the
   * tensor is used (accesses after its arena closed fail instead of reading freed memory).
   */
  public static Tensor wrap(MemorySegment segment, DType dtype, long... shape) {
    long[] s = checkShape("Tensor.wrap", shape);
    long bytes = bytes(dtype, s);
    if (!segment.isNative()) {
      throw new InvalidArgumentException(
          "Tensor.wrap",
          "the segment is on the Java heap, which native code cannot read: use Tensor.fromArray,"
              + " or allocate the segment from an Arena or a file mapping");
    }
    if (segment.byteSize() < bytes) {
      throw new InvalidArgumentException(
          "Tensor.wrap",
          "shape " + Arrays.toString(s) + " of " + dtype + " needs " + bytes
              + " bytes but the segment has " + segment.byteSize());
    }
    if (segment.address() % dtype.byteSize() != 0) {
      throw new InvalidArgumentException(
          "Tensor.wrap",
          "segment address 0x" + Long.toHexString(segment.address()) + " is not aligned to the "
              + dtype.byteSize() + "-byte elements of " + dtype);
    }
    NativeLibrary.load();
    return new Tensor(Storage.borrow(segment.asSlice(0, bytes)), 0, dtype, s, false);
  }

  /**
   * {@code segment}'s contents as a tensor on {@code device}: on the CPU a zero-copy
   * {@link #wrap(MemorySegment, DType, long...) wrap} (not owning), on CUDA one upload into new
   * device memory the result owns (the segment may be released once this returns).
   */
  public static Tensor wrap(Device device, MemorySegment segment, DType dtype, long... shape) {
    Tensor host = wrap(segment, dtype, shape);
    if (device.isCpu()) {
      return host;
    }
    Tensor uploaded = host.copyTo(device);
    // pinned source memory is copied asynchronously; the caller may free it once we return
    device.synchronize();
    return uploaded;
  }

  // ---- properties ------------------------------------------------------------------------

  public DType dtype() {
    return dtype;
  }

  public Device device() {
    return storage.device;
  }

  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  /** Size of dimension {@code d}; negative d counts from the end. */
  public long dim(int d) {
    int i = d < 0 ? shape.length + d : d;
    if (i < 0 || i >= shape.length) {
      throw new InvalidArgumentException(
          "Tensor.dim", "dimension " + d + " out of range for shape " + Arrays.toString(shape));
    }
    return shape[i];
  }

  public long numel() {
    return numel;
  }

  public long byteSize() {
    return numel * dtype.byteSize();
  }

  /** Whether this tensor frees its memory on close (false for views and wraps). */
  public boolean ownsMemory() {
    return owner;
  }

  public boolean isClosed() {
    return closed || storage.isReleased();
  }

  /** Whether the memory is a read-only mapping (such a tensor can be read, never written). */
  public boolean isReadOnly() {
    return storage.readOnly();
  }

  // ---- views -----------------------------------------------------------------------------

  /** The host memory of a CPU tensor, without copying. Valid until the owning tensor is closed. */
  public MemorySegment segment() {
    checkOpen();
    if (!device().isCpu()) {
      throw new UnsupportedOnDeviceException(
          "Tensor.segment",
          "this tensor is on " + device() + ", whose memory Java cannot read directly: copy it"
              + " with toHost() (or copyTo(Device.cpu())) and take that tensor's segment()");
    }
    if (storage.borrowed != null) {
      return storage.borrowed.asSlice(offset, byteSize());
    }
    return MemorySegment.ofAddress(storage.address + offset).reinterpret(byteSize());
  }

  /** The same memory with another shape of equal element count; one dimension may be -1. */
  public Tensor reshape(long... newShape) {
    checkOpen();
    long[] s = newShape.clone();
    int infer = -1;
    long known = 1;
    for (int i = 0; i < s.length; i++) {
      if (s[i] == -1 && infer < 0) {
        infer = i;
      } else if (s[i] < 0) {
        throw new InvalidArgumentException(
            "Tensor.reshape", "bad shape " + Arrays.toString(newShape) + " (at most one -1, no other negatives)");
      } else {
        known = Math.multiplyExact(known, s[i]);
      }
    }
    if (infer >= 0) {
      if (known == 0 || numel % known != 0) {
        throw new InvalidArgumentException(
            "Tensor.reshape",
            "cannot infer -1 in " + Arrays.toString(newShape) + " from " + numel + " elements");
      }
      s[infer] = numel / known;
    }
    if (numel(s) != numel) {
      throw new InvalidArgumentException(
          "Tensor.reshape",
          "shape " + Arrays.toString(shape) + " (" + numel + " elements) cannot be viewed as "
              + Arrays.toString(newShape) + " (" + numel(s) + " elements)");
    }
    return new Tensor(storage, offset, dtype, s, false);
  }

  /** Rows {@code [start, end)} along dimension 0, as a view. */
  public Tensor slice(long start, long end) {
    checkOpen();
    if (shape.length == 0) {
      throw new InvalidArgumentException("Tensor.slice", "cannot slice a 0-dimensional tensor");
    }
    if (start < 0 || end < start || end > shape[0]) {
      throw new InvalidArgumentException(
          "Tensor.slice",
          "rows [" + start + ", " + end + ") out of range for shape " + Arrays.toString(shape));
    }
    long[] s = shape.clone();
    s[0] = end - start;
    long rowBytes = shape[0] == 0 ? 0 : byteSize() / shape[0];
    return new Tensor(storage, offset + start * rowBytes, dtype, s, false);
  }

  // ---- copies ----------------------------------------------------------------------------

  /** A new tensor with this one's contents on {@code target}; the caller closes it. */
  public Tensor copyTo(Device target) {
    checkOpen();
    Tensor out = empty(target, dtype, shape);
    try {
      out.copyFrom(this);
      return out;
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
  }

  /** A new CPU tensor with this one's contents (also when this one is on the CPU). */
  public Tensor toHost() {
    return copyTo(Device.cpu());
  }

  /** A new tensor converted to {@code target} on the same device (a copy even for the same dtype). */
  public Tensor to(DType target) {
    return Ops.cast(this, target);
  }

  /** Copies {@code src} (same shape and dtype, any device) into this tensor. */
  public void copyFrom(Tensor src) {
    checkOpen();
    src.checkOpen();
    checkWritable("Tensor.copyFrom");
    if (src.dtype != dtype || !Arrays.equals(src.shape, shape)) {
      throw new InvalidArgumentException(
          "Tensor.copyFrom",
          "source " + src.describe() + " does not match destination " + describe());
    }
    Device from = src.device();
    Device to = device();
    // A CUDA-to-host copy must finish before Java reads the result; the host-to-device direction
    // is ordered before later ops because both go through the thread's current stream of the device.
    Stream stream = to.isCuda() ? to.currentStream() : from.currentStream();
    if (from.isCuda() && to.isCuda() && !from.equals(to)) {
      stream.waitFor(from.currentStream());
    }
    Memory.copy(stream, ptr(), src.ptr(), byteSize());
    if (from.isCuda() && !from.equals(to)) {
      stream.synchronize();
    }
  }

  /** Copies {@code data} into this F32 tensor (through a host staging buffer for CUDA). */
  public void copyFrom(float[] data) {
    checkOpen();
    checkWritable("Tensor.copyFrom");
    if (dtype != DType.F32 || data.length != numel) {
      throw new InvalidArgumentException(
          "Tensor.copyFrom", "float[" + data.length + "] does not fit " + describe() + " (needs F32, " + numel + " elements)");
    }
    if (device().isCpu()) {
      MemorySegment.copy(data, 0, segment(), ValueLayout.JAVA_FLOAT, 0, data.length);
      return;
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment staging = arena.allocate(byteSize(), 64);
      MemorySegment.copy(data, 0, staging, ValueLayout.JAVA_FLOAT, 0, data.length);
      Stream stream = device().currentStream();
      Memory.copy(stream, ptr(), staging, byteSize());
      // the staging buffer is freed when the arena closes
      stream.synchronize();
    }
  }

  /** The elements as F32 values (converted first for F16/BF16), waiting for pending work. */
  public float[] toFloatArray() {
    checkOpen();
    if (numel > Integer.MAX_VALUE - 8) {
      throw new InvalidArgumentException(
          "Tensor.toFloatArray", describe() + " has too many elements for a Java array");
    }
    if (dtype != DType.F32) {
      try (Tensor f32 = to(DType.F32)) {
        return f32.toFloatArray();
      }
    }
    if (device().isCpu()) {
      return segment().toArray(ValueLayout.JAVA_FLOAT);
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment staging = arena.allocate(byteSize(), 64);
      Stream stream = device().currentStream();
      Memory.copy(stream, staging, ptr(), byteSize());
      stream.synchronize();
      return staging.toArray(ValueLayout.JAVA_FLOAT);
    }
  }

  // ---- lifetime --------------------------------------------------------------------------

  /** Frees the memory if this tensor owns it (views and wraps only mark themselves closed). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (owner) {
      storage.release();
    }
  }

  @Override
  public String toString() {
    return "Tensor(" + describe() + (isClosed() ? ", closed" : "") + ")";
  }

  // ---- for Ops ---------------------------------------------------------------------------

  /** "F32 [2, 3] on cpu": for error messages. */
  String describe() {
    return dtype + " " + Arrays.toString(shape) + " on " + device();
  }

  /** The pointer to pass to native code; checks the memory is still alive. */
  MemorySegment ptr() {
    checkOpen();
    if (storage.borrowed != null) {
      // passing the caller's segment keeps its arena alive for the duration of the call
      return storage.borrowed.asSlice(offset, byteSize());
    }
    return MemorySegment.ofAddress(storage.address + offset);
  }

  /** First byte address (for overlap checks). */
  long address() {
    return storage.address + offset;
  }

  boolean sameMemory(Tensor other) {
    return other.storage == storage;
  }

  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("tensor " + describe() + " is closed");
    }
    storage.checkAlive();
  }

  void checkWritable(String op) {
    if (storage.readOnly()) {
      throw new InvalidArgumentException(
          op, "the destination " + describe() + " wraps read-only memory (a read-only file mapping?)");
    }
  }

  private static long[] checkShape(String op, long[] shape) {
    for (long d : shape) {
      if (d < 0) {
        throw new InvalidArgumentException(op, "negative dimension in shape " + Arrays.toString(shape));
      }
    }
    return shape.clone();
  }

  static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  private static long bytes(DType dtype, long[] shape) {
    return Math.multiplyExact(numel(shape), (long) dtype.byteSize());
  }
}
