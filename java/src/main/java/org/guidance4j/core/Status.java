package org.guidance4j.core;

import java.lang.foreign.MemorySegment;
import org.guidance4j.bindings.guidance4j_h;

/** Turns a native g4j_status into the matching {@link Guidance4jException}. */
public final class Status {
  private Status() {}

  /**
   * Throws unless {@code status} is G4J_OK. Must run on the thread that made the call, right
   * after it: the native error text is thread-local and overwritten by the next call.
   */
  public static void check(int status, String op) {
    if (status != 0) {
      throw exceptionFor(status, op, lastError());
    }
  }

  /** The thread-local text of this thread's last native failure ("" if none). */
  public static String lastError() {
    MemorySegment text = guidance4j_h.g4j_last_error();
    if (text == null || text.equals(MemorySegment.NULL)) {
      return "";
    }
    return text.getString(0);
  }

  static Guidance4jException exceptionFor(int status, String op, String nativeText) {
    String message =
        op + " failed: " + (nativeText.isEmpty() ? "(no error text, status " + status + ")" : nativeText);
    if (status == guidance4j_h.G4J_ERR_INVALID_ARGUMENT()) {
      return new InvalidArgumentException(op, message);
    } else if (status == guidance4j_h.G4J_ERR_OUT_OF_MEMORY()) {
      return new OutOfDeviceMemoryException(op, message);
    } else if (status == guidance4j_h.G4J_ERR_NO_DEVICE()) {
      return new NoDeviceException(op, message);
    } else if (status == guidance4j_h.G4J_ERR_UNSUPPORTED()) {
      return new UnsupportedOnDeviceException(op, message);
    } else if (status == guidance4j_h.G4J_ERR_CUDA()) {
      return new CudaException(op, message);
    } else if (status == guidance4j_h.G4J_ERR_INTERNAL()) {
      return new NativeInternalException(op, message);
    }
    return new NativeInternalException(
        op, op + " returned unknown status " + status + " (Java and native library out of step?): " + nativeText);
  }
}
