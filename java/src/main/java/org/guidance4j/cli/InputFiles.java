package org.guidance4j.cli;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.guidance4j.io.FileFormatException;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;

/** Input files named by a flag: every failure to read one names the flag, the file and the reason. */
final class InputFiles {
  private InputFiles() {}

  /** The .npy that {@code --flag} names. */
  static NpyArray npy(Options o, String flag) {
    Path path = o.path(flag);
    try {
      return Npy.read(path);
    } catch (NoSuchFileException e) {
      throw new CommandFailure("--" + flag + " " + path + ": no such file", e);
    } catch (FileSystemException e) {
      throw new CommandFailure(
          "--" + flag + " " + path + ": " + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName()), e);
    } catch (IOException e) {
      throw new CommandFailure("--" + flag + " " + path + ": " + e.getMessage(), e);
    } catch (FileFormatException e) {
      throw new CommandFailure("--" + flag + " " + e.getMessage(), e); // its message starts with the file
    }
  }
}
