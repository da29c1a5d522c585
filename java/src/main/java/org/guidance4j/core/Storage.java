package org.guidance4j.core;

import java.lang.foreign.MemorySegment;
import org.guidance4j.bindings.guidance4j_h;

/**
 * A block of memory tensors point into, and how it is given back: device memory from g4j_malloc,
 * pinned host memory from g4j_host_alloc, or a caller's segment that guidance4j never frees.
 * Views share their owner's Storage, so every access checks that it is still alive.
 */
final class Storage {
  enum Kind {
    DEVICE,
    PINNED,
    BORROWED
  }

  final Device device;
  final Kind kind;
  final long address;
  final long byteSize;
  /** The caller's segment (BORROWED only): its scope must outlive every use. */
  final MemorySegment borrowed;

  private volatile boolean released;

  private Storage(Device device, Kind kind, long address, long byteSize, MemorySegment borrowed) {
    this.device = device;
    this.kind = kind;
    this.address = address;
    this.byteSize = byteSize;
    this.borrowed = borrowed;
  }

  static Storage allocate(Device device, long bytes) {
    MemorySegment p = Memory.malloc(device.currentStream(), bytes);
    return new Storage(device, Kind.DEVICE, p.address(), bytes, null);
  }

  static Storage pinned(long bytes) {
    MemorySegment p = Memory.hostAlloc(bytes);
    return new Storage(Device.cpu(), Kind.PINNED, p.address(), bytes, null);
  }

  static Storage borrow(MemorySegment segment) {
    return new Storage(Device.cpu(), Kind.BORROWED, segment.address(), segment.byteSize(), segment);
  }

  boolean readOnly() {
    return borrowed != null && borrowed.isReadOnly();
  }

  void checkAlive() {
    if (released) {
      throw new IllegalStateException(
          "tensor memory on " + device + " was already freed (the tensor owning it was closed)");
    }
    if (borrowed != null && !borrowed.scope().isAlive()) {
      throw new IllegalStateException(
          "the memory segment this tensor wraps is no longer valid (its arena or mapping was closed)");
    }
  }

  boolean isReleased() {
    return released;
  }

  synchronized void release() {
    if (released) {
      return;
    }
    released = true;
    if (address == 0) {
      return;
    }
    switch (kind) {
      case DEVICE ->
          Status.check(
              guidance4j_h.g4j_free(device.currentStream().handle(), MemorySegment.ofAddress(address)),
              "g4j_free");
      case PINNED -> {
        // An asynchronous copy may still read or write it; pinned buffers are long-lived, so
        // waiting here is cheap insurance.
        Device.synchronizeCudaDevices();
        Status.check(guidance4j_h.g4j_host_free(MemorySegment.ofAddress(address)), "g4j_host_free");
      }
      case BORROWED -> {
        // the caller owns it
      }
    }
  }
}
