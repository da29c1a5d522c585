package org.guidance4j.cli;

/** A command that failed at run time with a message written for the user (exit code 1). */
final class CommandFailure extends RuntimeException {
  CommandFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
