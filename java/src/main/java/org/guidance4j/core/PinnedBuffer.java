package org.guidance4j.core;

import java.lang.foreign.MemorySegment;
import org.guidance4j.bindings.guidance4j_h;

/**
 * Host memory from g4j_host_alloc: page-locked when a CUDA device is present, so copies to and
 * from the device are truly asynchronous; plain 64-byte aligned memory otherwise.
 */
public final class PinnedBuffer implements AutoCloseable {
  private final MemorySegment segment;
  private volatile boolean closed;

  private PinnedBuffer(MemorySegment segment) {
    this.segment = segment;
  }

  public static PinnedBuffer allocate(long bytes) {
    if (bytes < 0) {
      throw new InvalidArgumentException("PinnedBuffer.allocate", "bytes must be >= 0, got " + bytes);
    }
    MemorySegment p = Memory.hostAlloc(bytes);
    return new PinnedBuffer(bytes == 0 ? MemorySegment.NULL : p.reinterpret(bytes));
  }

  /** The memory; valid until {@link #close()}, after which using it is undefined (it is freed). */
  public MemorySegment segment() {
    if (closed) {
      throw new IllegalStateException("PinnedBuffer is closed");
    }
    return segment;
  }

  public long byteSize() {
    return segment.byteSize();
  }

  public boolean isClosed() {
    return closed;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (segment.address() != 0) {
      Device.synchronizeCudaDevices(); // no asynchronous copy may still use it
      Status.check(guidance4j_h.g4j_host_free(segment), "g4j_host_free");
    }
  }
}
