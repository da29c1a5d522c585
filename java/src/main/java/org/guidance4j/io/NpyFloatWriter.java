package org.guidance4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Writes a float32 .npy of a known shape piece by piece: the header first, then the values in
 * order as they come, so memory does not grow with the array. The file is built in a tracked
 * temporary sibling ({@link TempFiles}) and renamed into place by {@link #commit} once every value
 * is there; closing without committing, a failure, or an interrupted JVM leave nothing behind.
 */
public final class NpyFloatWriter implements AutoCloseable {
  private final Path target;
  private final Path temp;
  private final FileChannel channel;
  private final long total;
  private long written;
  private boolean committed;

  private NpyFloatWriter(Path target, Path temp, FileChannel channel, long total) {
    this.target = target;
    this.temp = temp;
    this.channel = channel;
    this.total = total;
  }

  /** Starts {@code target} as a float32 array of {@code shape} (C order): its header is written now. */
  public static NpyFloatWriter create(Path target, long... shape) throws IOException {
    Path absolute = target.toAbsolutePath();
    long total = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      total = Math.multiplyExact(total, d);
    }
    Path temp = TempFiles.siblingFor(absolute, ".tmp");
    FileChannel channel = null;
    try {
      channel = TempFiles.createFile(temp);
      AtomicFiles.writeFully(channel, ByteBuffer.wrap(Npy.preamble(NpyDType.FLOAT32, shape)));
      return new NpyFloatWriter(absolute, temp, channel, total);
    } catch (IOException e) {
      closeAndDiscard(channel, temp);
      throw WriteFailures.naming(absolute, e);
    } catch (RuntimeException e) {
      closeAndDiscard(channel, temp);
      throw e;
    }
  }

  private static void closeAndDiscard(FileChannel channel, Path temp) throws IOException {
    try {
      if (channel != null) {
        channel.close();
      }
    } finally {
      TempFiles.discard(temp);
    }
  }

  /** Appends {@code count} values of {@code values} from {@code offset}. */
  public void write(float[] values, int offset, int count) throws IOException {
    if (committed) {
      throw new IllegalStateException(target + " is already complete");
    }
    if (count > total - written) {
      throw new IllegalArgumentException(
          target + ": " + count + " more values, but only " + (total - written) + " of " + total + " are left");
    }
    ByteBuffer bytes = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values, offset, count);
    try {
      AtomicFiles.writeFully(channel, bytes);
    } catch (IOException e) {
      throw WriteFailures.naming(target, e);
    }
    written += count;
  }

  /** Forces the file to disk and renames it into place; every value must have been written. */
  public void commit() throws IOException {
    if (written != total) {
      throw new IllegalStateException(target + ": " + written + " of " + total + " values written");
    }
    try {
      channel.force(true);
      channel.close();
    } catch (IOException e) {
      throw WriteFailures.naming(target, e);
    }
    TempFiles.commit(temp, target);
    committed = true;
  }

  /** Discards the file unless it was committed. */
  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      if (!committed) {
        TempFiles.discard(temp);
      }
    }
  }
}
