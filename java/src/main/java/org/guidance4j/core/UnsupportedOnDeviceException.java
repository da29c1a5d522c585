package org.guidance4j.core;

/** A valid request the tensor's device does not implement (F16 on the CPU backend, a host view of device memory). */
public final class UnsupportedOnDeviceException extends Guidance4jException {
  public UnsupportedOnDeviceException(String operation, String message) {
    super(operation, message);
  }
}
