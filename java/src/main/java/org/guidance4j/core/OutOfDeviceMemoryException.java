package org.guidance4j.core;

/** A host or device allocation failed. */
public final class OutOfDeviceMemoryException extends Guidance4jException {
  public OutOfDeviceMemoryException(String operation, String message) {
    super(operation, message);
  }
}
