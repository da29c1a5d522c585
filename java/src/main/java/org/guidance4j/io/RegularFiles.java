package org.guidance4j.io;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The readers open regular files only: a folder, a named pipe (which would block the reader until
 * someone writes to it) or a device is refused up front, by name, instead of failing later with
 * the operating system's bare "No such device" or hanging.
 */
public final class RegularFiles {
  private RegularFiles() {}

  /**
   * Returns when {@code path} (links followed) is a regular file.
   *
   * @throws java.nio.file.NoSuchFileException when it does not exist
   * @throws FileSystemException naming the path and what it is instead
   */
  public static void require(Path path) throws IOException {
    BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
    if (a.isRegularFile()) {
      return;
    }
    String what =
        a.isDirectory()
            ? "a folder"
            : a.isOther() ? "a named pipe, socket or device" : a.isSymbolicLink() ? "a broken link" : "not a file";
    throw new FileSystemException(path.toString(), null, "is " + what + ", not a regular file");
  }
}
