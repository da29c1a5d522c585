package org.guidance4j.core;

/** No CUDA backend in this build, no driver, or a device index out of range. */
public final class NoDeviceException extends Guidance4jException {
  public NoDeviceException(String operation, String message) {
    super(operation, message);
  }
}
