package org.guidance4j.cli;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.guidance4j.core.Tensor;
import org.guidance4j.image.GridCanvas;
import org.guidance4j.image.Images;
import org.guidance4j.io.NpyFloatWriter;
import org.guidance4j.io.TempFiles;
import org.guidance4j.io.WriteFailures;

/**
 * Where `sample` writes: a PNG grid (*.png), the raw samples (*.npy, N x C x H x W float32 in
 * [-1, 1]), or a new folder of PNGs (a name without an extension). Checked before sampling starts.
 * Samples are written as they are produced (the .npy header first, each PNG as its batch ends,
 * the grid's PNG as the last step), so memory is bounded by the batch (the grid by its image),
 * and everything goes through a tracked temporary sibling renamed into place at the end: a
 * failure or an interrupt at any moment leaves neither a partial output nor a temporary file.
 */
final class SampleOutput {
  enum Kind { GRID, NPY, FOLDER }

  /** A grid image larger than this many pixels (4 bytes each in memory) is refused up front. */
  static final long MAX_GRID_PIXELS = 1L << 27;

  /** A file-type extension: a name ending in one is a file the user meant, not a folder. */
  private static final Pattern EXTENSION = Pattern.compile(".*\\.[A-Za-z][A-Za-z0-9]{0,5}");

  private final Path path;
  private final Kind kind;

  private SampleOutput(Path path, Kind kind) {
    this.path = path;
    this.kind = kind;
  }

  static SampleOutput of(Path path) {
    String name = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
    Kind kind = name.endsWith(".png") ? Kind.GRID : name.endsWith(".npy") ? Kind.NPY : Kind.FOLDER;
    if (kind == Kind.FOLDER && EXTENSION.matcher(name).matches() && !Files.isDirectory(path)) {
      throw new UsageException(
          "--out " + path + ": '" + name.substring(name.lastIndexOf('.')) + "' is not an output type: give a .png"
              + " (grid), a .npy (raw samples) or a folder name without an extension (a new folder of PNGs)");
    }
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
   * The probe is a tracked temporary file, so not even it survives an interrupt.
   */
  static void probeWritable(String what, Path dir) {
    Path probe = TempFiles.siblingFor(dir.resolve("g4j-probe"), "");
    try {
      TempFiles.createFile(probe).close();
    } catch (IOException e) {
      String reason =
          e instanceof AccessDeniedException ? "permission denied"
              : e instanceof FileSystemException f && f.getReason() != null ? f.getReason()
              : e instanceof NoSuchFileException ? "no such file or directory"
              : e.getClass().getSimpleName();
      throw new UsageException(what + ": cannot create files in " + dir + " (" + reason + ")");
    } finally {
      TempFiles.discard(probe);
    }
  }

  Path path() {
    return path;
  }

  Kind kind() {
    return kind;
  }

  /**
   * What writing {@code n} samples of {@code sampleShape} (C, H, W) needs, checked before
   * sampling: a grid whose image fits in memory, a .npy that fits on its file system.
   */
  void checkCapacity(long n, long[] sampleShape, int columns) throws IOException {
    if (kind == Kind.GRID) {
      long pixels = GridCanvas.pixels(n, (int) sampleShape[1], (int) sampleShape[2], columns);
      if (pixels > MAX_GRID_PIXELS) {
        throw new UsageException(
            "--out " + path + ": a grid of " + n + " images would have " + pixels + " pixels (the limit is "
                + MAX_GRID_PIXELS + "): write a .npy or a folder of PNGs for this many samples (they stream to disk)");
      }
    } else if (kind == Kind.NPY) {
      long bytes = n * sampleShape[0] * sampleShape[1] * sampleShape[2] * 4;
      long free = Files.getFileStore(path.toAbsolutePath().getParent()).getUsableSpace();
      if (bytes > free) {
        throw new IOException(
            "--out " + path + ": " + n + " samples need " + gib(bytes) + " but its file system has " + gib(free)
                + " free");
      }
    }
  }

  private static String gib(long bytes) {
    return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
  }

  /** Receives batches in order; {@link #commit} when all are in; closing without it leaves nothing. */
  interface Writer extends AutoCloseable {
    void accept(long firstSample, Tensor samples) throws IOException;

    void commit() throws IOException;

    @Override
    void close() throws IOException;
  }

  /** Starts the output for {@code n} samples of {@code sampleShape} (C, H, W). */
  Writer open(long n, long[] sampleShape, int columns) throws IOException {
    return switch (kind) {
      case GRID -> new GridWriter(n, sampleShape, columns);
      case NPY -> new NpyWriter(NpyFloatWriter.create(path, n, sampleShape[0], sampleShape[1], sampleShape[2]));
      case FOLDER -> new FolderWriter(n, sampleShape);
    };
  }

  private static float[] floats(Tensor samples) {
    return samples.segment().toArray(ValueLayout.JAVA_FLOAT);
  }

  private final class GridWriter implements Writer {
    private final GridCanvas canvas;
    private final int per;

    GridWriter(long n, long[] s, int columns) {
      this.canvas = new GridCanvas((int) n, (int) s[0], (int) s[1], (int) s[2], columns, null);
      this.per = (int) (s[0] * s[1] * s[2]);
    }

    @Override
    public void accept(long first, Tensor samples) {
      float[] data = floats(samples);
      for (int j = 0; j < samples.dim(0); j++) {
        canvas.draw((int) (first + j), data, j * per);
      }
    }

    @Override
    public void commit() throws IOException {
      Images.writePng(canvas.image(), path);
    }

    @Override
    public void close() {}
  }

  private record NpyWriter(NpyFloatWriter out) implements Writer {
    @Override
    public void accept(long first, Tensor samples) throws IOException {
      float[] data = floats(samples);
      out.write(data, 0, data.length);
    }

    @Override
    public void commit() throws IOException {
      out.commit();
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }

  private final class FolderWriter implements Writer {
    private final Path target = path.toAbsolutePath();
    private final Path temp;
    private final long[] shape;
    private final String nameFormat;
    private boolean committed;

    FolderWriter(long n, long[] shape) throws IOException {
      this.shape = shape;
      this.nameFormat = "%0" + Math.max(6, String.valueOf(n - 1).length()) + "d.png";
      // not Files.createTempDirectory: its 0700 permissions would survive the rename
      this.temp = TempFiles.createDirectory(TempFiles.siblingFor(target, ""));
    }

    @Override
    public void accept(long first, Tensor samples) throws IOException {
      float[] data = floats(samples);
      int c = (int) shape[0];
      int h = (int) shape[1];
      int w = (int) shape[2];
      for (int j = 0; j < samples.dim(0); j++) {
        byte[] png = Images.encodePng(Images.toImage(data, j * c * h * w, c, h, w, 1));
        String name = String.format(Locale.ROOT, nameFormat, first + j);
        try (FileChannel file = TempFiles.createFileIn(temp, name)) {
          ByteBuffer bytes = ByteBuffer.wrap(png);
          while (bytes.hasRemaining()) {
            file.write(bytes);
          }
        } catch (IOException e) {
          throw WriteFailures.naming(target.resolve(name), e);
        }
      }
    }

    @Override
    public void commit() throws IOException {
      TempFiles.commit(temp, target); // replaces the empty folder checked before sampling
      committed = true;
    }

    @Override
    public void close() {
      if (!committed) {
        TempFiles.discard(temp);
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
