package org.guidance4j.cli;

/** A command line the CLI cannot run: unknown flag, missing value, bad number. Exit code 2. */
final class UsageException extends RuntimeException {
  UsageException(String message) {
    super(message);
  }
}
