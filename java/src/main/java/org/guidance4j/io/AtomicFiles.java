package org.guidance4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Writes a file so that readers see either the old content or the complete new one: the bytes go to
 * a temporary file in the same directory (same file system, so the rename is atomic), which is
 * forced to disk and renamed over the target; on any failure, and when the JVM is interrupted
 * ({@link TempFiles}), the temporary file is removed.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Fills the open channel with the file's content. */
  @FunctionalInterface
  interface Content {
    void writeTo(FileChannel channel) throws IOException;
  }

  static void write(Path target, Content content) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path temp = TempFiles.siblingFor(absolute, ".tmp");
    try {
      try (FileChannel channel = TempFiles.createFile(temp)) {
        content.writeTo(channel);
        channel.force(true);
      } catch (IOException e) {
        throw WriteFailures.naming(absolute, e);
      }
      TempFiles.commit(temp, absolute);
    } finally {
      TempFiles.discard(temp); // nothing left to discard after a commit
    }
  }

  /** Writes {@code bytes} as the whole content of {@code target}, atomically. */
  public static void write(Path target, byte[] bytes) throws IOException {
    write(target, channel -> writeFully(channel, ByteBuffer.wrap(bytes)));
  }

  /** Writes all of {@code buffer} (a channel may take it in several calls). */
  static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }
}
