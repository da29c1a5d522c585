package org.guidance4j.io;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * I/O failures while writing an output, restated with the file's name and the operating
 * system's reason ("No space left on device"), whatever layer raised them: ImageIO's "I/O error
 * writing PNG file!" or a bare channel exception name nothing.
 */
public final class WriteFailures {
  private WriteFailures() {}

  /** An IOException "cannot write TARGET: REASON", with {@code e} as its cause. */
  public static IOException naming(Path target, IOException e) {
    return new IOException("cannot write " + target + ": " + reason(e), e);
  }

  /** The deepest message in the cause chain, the one the operating system gave. */
  static String reason(Throwable e) {
    String reason = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = t instanceof FileSystemException f ? f.getReason() : t.getMessage();
      if (m != null && !m.isBlank()) {
        reason = m;
      }
    }
    return reason != null ? reason : e.getClass().getSimpleName();
  }
}
