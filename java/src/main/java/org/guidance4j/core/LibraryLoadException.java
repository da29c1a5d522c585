package org.guidance4j.core;

/** The native library could not be found, loaded, or is of another API version. */
public final class LibraryLoadException extends Guidance4jException {
  public LibraryLoadException(String message) {
    super("load", message);
  }

  public LibraryLoadException(String message, Throwable cause) {
    super("load", message, cause);
  }
}
