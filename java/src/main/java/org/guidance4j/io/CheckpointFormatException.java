package org.guidance4j.io;

/**
 * A .safetensors checkpoint that is corrupt, or holds a tensor the caller cannot use. The message
 * names the file and, when one tensor is at fault, its key.
 */
public final class CheckpointFormatException extends FileFormatException {
  private final String key;

  CheckpointFormatException(String file, String key, String message) {
    super(file, key == null ? message : "tensor '" + key + "': " + message);
    this.key = key;
  }

  CheckpointFormatException(String file, String key, String message, Throwable cause) {
    super(file, key == null ? message : "tensor '" + key + "': " + message, cause);
    this.key = key;
  }

  /** The tensor at fault, or null when the problem is the file as a whole. */
  public String key() {
    return key;
  }
}
