package org.guidance4j.nn;

/**
 * A checkpoint that parses but does not fit the network its config describes: a missing or
 * unexpected tensor, or a tensor of the wrong shape. The message names the file and the key.
 */
public final class CheckpointMismatchException extends RuntimeException {
  private final String file;
  private final String key;

  public CheckpointMismatchException(String file, String key, String message) {
    super(file + ": " + (key == null ? "" : "tensor '" + key + "': ") + message);
    this.file = file;
    this.key = key;
  }

  public String file() {
    return file;
  }

  /** The tensor at fault, or null when several are (see the message). */
  public String key() {
    return key;
  }
}
