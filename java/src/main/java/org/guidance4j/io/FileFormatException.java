package org.guidance4j.io;

/**
 * A file (or an in-memory image of one) whose content does not match what guidance4j expects: a
 * corrupt checkpoint, an unsupported .npy, invalid JSON, a config value of the wrong type, or a
 * model directory laid out wrongly. The message always starts with the file's name.
 *
 * <p>TODO(lead): this should extend {@code org.guidance4j.core.InvalidArgumentException} so that
 * one catch covers every bad input; that class is {@code final} in a sealed hierarchy today. Making
 * it {@code non-sealed} (not final) and calling {@code super("io", message)} here is the whole
 * change.
 */
public abstract sealed class FileFormatException extends RuntimeException
    permits CheckpointFormatException,
        NpyFormatException,
        JsonFormatException,
        ModelConfigException {

  private final String file;
  private final String detail;

  FileFormatException(String file, String message) {
    super(file + ": " + message);
    this.file = file;
    this.detail = message;
  }

  FileFormatException(String file, String message, Throwable cause) {
    super(file + ": " + message, cause);
    this.file = file;
    this.detail = message;
  }

  /** The file's name as the caller gave it (a path, or a label for in-memory data). */
  public String file() {
    return file;
  }

  /** The message without the leading file name. */
  public String detail() {
    return detail;
  }
}
