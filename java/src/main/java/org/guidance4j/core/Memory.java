package org.guidance4j.core;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.guidance4j.bindings.guidance4j_h;

/** The memory calls of the C API, with their out-pointers and status checks. */
final class Memory {
  private Memory() {}

  /** g4j_malloc on {@code stream}'s device (NULL for 0 bytes). */
  static MemorySegment malloc(Stream stream, long bytes) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
      Status.check(guidance4j_h.g4j_malloc(stream.handle(), bytes, out), "g4j_malloc");
      return out.get(ValueLayout.ADDRESS, 0);
    }
  }

  /** g4j_host_alloc: page-locked when a CUDA device is present. */
  static MemorySegment hostAlloc(long bytes) {
    NativeLibrary.load();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
      Status.check(guidance4j_h.g4j_host_alloc(bytes, out), "g4j_host_alloc");
      return out.get(ValueLayout.ADDRESS, 0);
    }
  }

  /** g4j_memcpy: host and {@code stream}'s device memory in any direction, asynchronous on CUDA. */
  static void copy(Stream stream, MemorySegment dst, MemorySegment src, long bytes) {
    if (bytes == 0) {
      return;
    }
    Status.check(guidance4j_h.g4j_memcpy(stream.handle(), dst, src, bytes), "g4j_memcpy");
  }
}
