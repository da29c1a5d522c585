package org.guidance4j.core;

/**
 * Every failure guidance4j reports: a native status turned into a type a caller can catch
 * selectively, carrying the library's own text (which names the op and the offending argument).
 */
public abstract sealed class Guidance4jException extends RuntimeException
    permits InvalidArgumentException,
        OutOfDeviceMemoryException,
        NoDeviceException,
        UnsupportedOnDeviceException,
        CudaException,
        NativeInternalException,
        LibraryLoadException,
        NonFiniteException {

  private final String operation;

  Guidance4jException(String operation, String message) {
    super(message);
    this.operation = operation;
  }

  Guidance4jException(String operation, String message, Throwable cause) {
    super(message, cause);
    this.operation = operation;
  }

  /** The operation that failed (a C function name such as {@code g4j_conv2d}, or a Java method). */
  public String operation() {
    return operation;
  }
}
