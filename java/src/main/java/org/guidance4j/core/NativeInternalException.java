package org.guidance4j.core;

/** A bug in the native library (or a status this Java code does not know): please report the text. */
public final class NativeInternalException extends Guidance4jException {
  public NativeInternalException(String operation, String message) {
    super(operation, message);
  }
}
