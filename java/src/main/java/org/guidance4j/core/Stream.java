package org.guidance4j.core;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.guidance4j.bindings.guidance4j_h;

/**
 * An ordered queue of work on one device (a g4j_stream). On CUDA, ops are enqueued and return at
 * once; on the CPU backend they run synchronously, so synchronize and waitFor cost nothing.
 *
 * <p>A device's {@linkplain Device#defaultStream() default stream} lives as long as the JVM:
 * closing it does nothing, so {@code try (Stream s = device.defaultStream())} is harmless.
 */
public final class Stream implements AutoCloseable {
  private final Device device;
  private final MemorySegment handle;
  private final boolean isDefault;
  private volatile boolean closed;

  private Stream(Device device, MemorySegment handle, boolean isDefault) {
    this.device = device;
    this.handle = handle;
    this.isDefault = isDefault;
  }

  /** A new stream on {@code device}, which the caller closes. */
  public static Stream create(Device device) {
    return create(device, false);
  }

  static Stream create(Device device, boolean isDefault) {
    NativeLibrary.load();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
      Status.check(guidance4j_h.g4j_stream_create(device.nativeIndex(), out), "g4j_stream_create");
      return new Stream(device, out.get(ValueLayout.ADDRESS, 0), isDefault);
    }
  }

  public Device device() {
    return device;
  }

  public boolean isDefault() {
    return isDefault;
  }

  /** Blocks until all work enqueued so far has finished. */
  public void synchronize() {
    Status.check(guidance4j_h.g4j_stream_synchronize(handle()), "g4j_stream_synchronize");
  }

  /** Makes work enqueued on this stream from now on wait for everything enqueued on {@code signaler} so far. */
  public void waitFor(Stream signaler) {
    if (signaler == this) {
      return;
    }
    Status.check(guidance4j_h.g4j_stream_wait(handle(), signaler.handle()), "g4j_stream_wait");
  }

  /** The native g4j_stream*; fails once closed. */
  MemorySegment handle() {
    if (closed) {
      throw new IllegalStateException("stream on " + device + " is closed");
    }
    return handle;
  }

  public boolean isClosed() {
    return closed;
  }

  @Override
  public synchronized void close() {
    if (closed || isDefault) {
      return;
    }
    closed = true;
    Status.check(guidance4j_h.g4j_stream_destroy(handle), "g4j_stream_destroy");
  }

  @Override
  public String toString() {
    return (isDefault ? "default stream" : "stream") + " on " + device;
  }
}
