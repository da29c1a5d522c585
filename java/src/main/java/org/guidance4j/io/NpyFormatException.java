package org.guidance4j.io;

/** A .npy file that is corrupt or uses a layout or dtype guidance4j does not read. */
public final class NpyFormatException extends FileFormatException {
  NpyFormatException(String file, String message) {
    super(file, message);
  }
}
