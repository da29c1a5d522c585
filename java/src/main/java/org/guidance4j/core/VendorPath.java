package org.guidance4j.core;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.guidance4j.bindings.guidance4j_h;

/**
 * The CUDA backend's vendor path: convolutions on cuDNN and matrix products on cuBLASLt when the
 * native library finds them at run time, else its own kernels. Which one runs is visible here and
 * can be switched for the whole process (the environment's {@code G4J_CUDA_VENDOR=0} switches it
 * off from the start). The CPU backend is not affected.
 */
public final class VendorPath {
  private VendorPath() {}

  /** What the next CUDA op would use: a bit per library, and the native library's description. */
  public record Info(boolean cudnn, boolean cublasLt, String text) {}

  /** Calls per path since the process started (conv2d and its backward; gemm and linear). */
  public record Counts(long convCudnn, long convHandWritten, long gemmCublasLt, long gemmHandWritten) {}

  public static Info info() {
    NativeLibrary.load();
    try (Arena arena = Arena.ofConfined()) {
      int cap = 4096;
      MemorySegment active = arena.allocate(ValueLayout.JAVA_INT);
      MemorySegment text = arena.allocate(cap);
      Status.check(guidance4j_h.g4j_cuda_vendor_info(active, text, cap), "g4j_cuda_vendor_info");
      int mask = active.get(ValueLayout.JAVA_INT, 0);
      return new Info(
          (mask & guidance4j_h.G4J_VENDOR_CUDNN()) != 0,
          (mask & guidance4j_h.G4J_VENDOR_CUBLASLT()) != 0,
          text.getString(0));
    }
  }

  /** Switches the vendor path on or off for the ops enqueued from now on, in the whole process. */
  public static void setEnabled(boolean enabled) {
    NativeLibrary.load();
    Status.check(guidance4j_h.g4j_cuda_set_vendor(enabled ? 1 : 0), "g4j_cuda_set_vendor");
  }

  public static Counts counts() {
    NativeLibrary.load();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment c = arena.allocate(ValueLayout.JAVA_LONG, 4);
      Status.check(guidance4j_h.g4j_cuda_path_counts(c), "g4j_cuda_path_counts");
      return new Counts(
          c.getAtIndex(ValueLayout.JAVA_LONG, 0),
          c.getAtIndex(ValueLayout.JAVA_LONG, 1),
          c.getAtIndex(ValueLayout.JAVA_LONG, 2),
          c.getAtIndex(ValueLayout.JAVA_LONG, 3));
    }
  }
}
