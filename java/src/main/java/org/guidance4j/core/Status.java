package org.guidance4j.core;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.guidance4j.bindings.guidance4j_h;

/**
 * Turns the code a native call returned into the matching {@link Guidance4jException}.
 *
 * <p>A failing call's code carries, above its g4j_status, the id of its error text, which
 * {@code g4j_error_message} returns on any thread. The text therefore belongs to the call: a
 * virtual thread that moved to another carrier between the call and the check, or a caller that
 * hands the code to another thread, still gets its own failure's text, never another thread's.
 */
public final class Status {
  private Status() {}

  /** Bytes tried first for an error text; a longer one is read again with its exact length. */
  private static final int FIRST_READ = 1024;

  /** Throws unless {@code code} is G4J_OK; the exception carries that call's own native text. */
  public static void check(int code, String op) {
    if (code != 0) {
      throw exceptionFor(statusOf(code), op, message(code));
    }
  }

  /** The g4j_status part of a returned code. */
  public static int statusOf(int code) {
    return code & guidance4j_h.G4J_STATUS_MASK();
  }

  /** The native text of the failure {@code code} identifies ("" for G4J_OK or a bare status). */
  public static String message(int code) {
    if (code == 0) {
      return "";
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buf = arena.allocate(FIRST_READ);
      long length = guidance4j_h.g4j_error_message(code, buf, FIRST_READ);
      if (length >= FIRST_READ) {
        buf = arena.allocate(length + 1);
        guidance4j_h.g4j_error_message(code, buf, length + 1);
      }
      return buf.getString(0);
    }
  }

  /**
   * The text of the calling OS thread's last native failure ("" if none). Prefer {@link
   * #message(int)}: on a virtual thread the carrier, and so this text, may belong to another call.
   */
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
