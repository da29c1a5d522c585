package org.guidance4j.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The temporary files and folders outputs are written through before they are renamed into
 * place, tracked so that an interrupted JVM (SIGINT, SIGTERM, System.exit) leaves none behind: a
 * shutdown hook deletes every one that was not yet renamed.
 *
 * <p>Creating a temporary path, creating a file inside a temporary folder and the final rename
 * all take one lock, which the hook also takes before it deletes; once the hook has run, every
 * one of them fails. So whatever moment the signal comes, either the rename happened (the final
 * output is complete) or the temporary path is gone and no new one can appear; the JVM's other
 * threads keep running while hooks run, which is why the refusal matters.
 */
public final class TempFiles {
  private TempFiles() {}

  private static final Object LOCK = new Object();
  private static final Set<Path> LIVE = new LinkedHashSet<>();
  private static boolean shuttingDown;

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(TempFiles::deleteAll, "guidance4j-temp-cleanup"));
  }

  /** A hidden sibling name for {@code target}: ".name.<random hex>" plus {@code suffix}. */
  public static Path siblingFor(Path target, String suffix) {
    Path abs = target.toAbsolutePath();
    return abs.resolveSibling(
        "." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + suffix);
  }

  /** Creates the new file {@code temp} (tracked) and opens it for writing. */
  public static FileChannel createFile(Path temp) throws IOException {
    synchronized (LOCK) {
      refuseWhenShuttingDown(temp);
      // Not Files.createTempFile: its 0600 permissions would survive the rename.
      FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      LIVE.add(temp);
      return channel;
    }
  }

  /** Creates the new folder {@code temp} (tracked) with a new folder's usual permissions. */
  public static Path createDirectory(Path temp) throws IOException {
    synchronized (LOCK) {
      refuseWhenShuttingDown(temp);
      Files.createDirectory(temp);
      LIVE.add(temp);
      return temp;
    }
  }

  /** Creates the new file {@code name} inside the tracked temporary folder {@code dir} and opens it. */
  public static FileChannel createFileIn(Path dir, String name) throws IOException {
    synchronized (LOCK) {
      refuseWhenShuttingDown(dir);
      if (!LIVE.contains(dir)) {
        throw new IllegalStateException(dir + " is not a live temporary folder");
      }
      return FileChannel.open(dir.resolve(name), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }
  }

  /**
   * Renames the tracked {@code temp} to {@code target}, replacing a file or an empty folder there,
   * atomically where the file system can; afterwards it is no longer tracked.
   */
  public static void commit(Path temp, Path target) throws IOException {
    synchronized (LOCK) {
      refuseWhenShuttingDown(temp);
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      LIVE.remove(temp);
    }
  }

  /** Deletes the tracked {@code temp} (a file, or a folder and what it holds); quiet, idempotent. */
  public static void discard(Path temp) {
    synchronized (LOCK) {
      if (LIVE.remove(temp)) {
        deleteTree(temp);
      }
    }
  }

  /** The tracked paths not yet renamed or discarded (for tests). */
  static List<Path> live() {
    synchronized (LOCK) {
      return List.copyOf(LIVE);
    }
  }

  private static void refuseWhenShuttingDown(Path temp) throws IOException {
    if (shuttingDown) {
      throw new IOException(temp + ": not written, the JVM is shutting down");
    }
  }

  private static void deleteAll() {
    synchronized (LOCK) {
      shuttingDown = true;
      for (Path p : LIVE) {
        deleteTree(p);
      }
      LIVE.clear();
    }
  }

  private static void deleteTree(Path p) {
    try {
      if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        try (Stream<Path> all = Files.walk(p)) {
          for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(q);
          }
        }
      } else {
        Files.deleteIfExists(p);
      }
    } catch (IOException | RuntimeException e) {
      // best effort: nothing better to do while the JVM exits or a write already failed
    }
  }
}
