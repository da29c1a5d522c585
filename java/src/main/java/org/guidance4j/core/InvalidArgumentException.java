package org.guidance4j.core;

/** A null pointer, a bad shape or dtype, or an unknown enum value (native or checked in Java). */
public final class InvalidArgumentException extends Guidance4jException {
  public InvalidArgumentException(String operation, String message) {
    super(operation, message);
  }
}
