package org.guidance4j.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.guidance4j.image.Images;
import org.guidance4j.io.Npy;

/**
 * Where `sample` writes: a PNG grid (*.png), the raw samples (*.npy, N x C x H x W float32 in
 * [-1, 1]), or a folder of PNGs (any other path). Checked before sampling starts, and written
 * through a temporary sibling renamed into place, so a failure never leaves a partial output.
 */
final class SampleOutput {
  enum Kind { GRID, NPY, FOLDER }

  private final Path path;
  private final Kind kind;

  private SampleOutput(Path path, Kind kind) {
    this.path = path;
    this.kind = kind;
  }

  static SampleOutput of(Path path) {
    String name = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase();
    Kind kind = name.endsWith(".png") ? Kind.GRID : name.endsWith(".npy") ? Kind.NPY : Kind.FOLDER;
    Path parent = path.toAbsolutePath().getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new UsageException("--out " + path + ": the folder " + parent + " does not exist");
    }
    if (!Files.isWritable(parent)) {
      throw new UsageException("--out " + path + ": the folder " + parent + " is not writable");
    }
    probeWritable("--out " + path, parent);
    if (kind == Kind.FOLDER && Files.exists(path) && !isEmptyDir(path)) {
      throw new UsageException("--out " + path + ": exists and is not an empty folder (give a new folder, a .png or a .npy)");
    }
    if (kind != Kind.FOLDER && Files.isDirectory(path)) {
      throw new UsageException("--out " + path + ": is a folder");
    }
    return new SampleOutput(path, kind);
  }

  /**
   * Creates and deletes a file in {@code dir}, so that an output that cannot be written fails
   * before sampling, not after it: isWritable says yes to root, and to folders such as /proc.
   */
  static void probeWritable(String what, Path dir) {
    Path probe = dir.resolve(".g4j-probe-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    try {
      Files.createFile(probe);
      Files.delete(probe);
    } catch (IOException e) {
      String reason =
          e instanceof AccessDeniedException ? "permission denied"
              : e instanceof FileSystemException f && f.getReason() != null ? f.getReason()
              : e instanceof NoSuchFileException ? "no such file or directory"
              : e.getClass().getSimpleName();
      throw new UsageException(what + ": cannot create files in " + dir + " (" + reason + ")");
    }
  }

  Path path() {
    return path;
  }

  Kind kind() {
    return kind;
  }

  void write(float[] data, long[] shape, int columns) throws IOException {
    switch (kind) {
      case GRID -> Images.writePng(Images.grid(data, shape, columns, null), path);
      case NPY -> Npy.writeFloats(path, shape, data);
      case FOLDER -> writeFolder(data, shape);
    }
  }

  private void writeFolder(float[] data, long[] shape) throws IOException {
    Path abs = path.toAbsolutePath();
    // not Files.createTempDirectory: its 0700 permissions would survive the rename
    Path tmp = Files.createDirectory(
        abs.resolveSibling("." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())));
    try {
      int c = (int) shape[1];
      int h = (int) shape[2];
      int w = (int) shape[3];
      for (int i = 0; i < shape[0]; i++) {
        Images.writePng(Images.toImage(data, i * c * h * w, c, h, w, 1), tmp.resolve(String.format("%06d.png", i)));
      }
      if (Files.exists(abs)) {
        Files.delete(abs); // an empty folder, checked before sampling
      }
      Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      if (Files.exists(tmp)) {
        try (Stream<Path> files = Files.walk(tmp)) {
          files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  private static boolean isEmptyDir(Path p) {
    try (Stream<Path> s = Files.list(p)) {
      return s.findAny().isEmpty();
    } catch (IOException e) {
      return false;
    }
  }
}
