package org.guidance4j.core;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import org.guidance4j.bindings.guidance4j_h;

/**
 * Loads libguidance4j.so once per JVM, before any binding is used.
 *
 * <p>Where it comes from, first match wins: the system property {@value #PROPERTY}, the
 * environment variable {@value #ENV} (both a file path), else the copy inside the jar at
 * {@value #RESOURCE}, extracted to a per-user cache directory keyed by its content hash (so
 * concurrent JVMs and different versions never overwrite a library another process has mapped).
 *
 * <p>The bindings find symbols through {@code SymbolLookup.loaderLookup()}, which sees only
 * libraries loaded from their own class loader: this class and the bindings must share one.
 */
public final class NativeLibrary {
  public static final String PROPERTY = "guidance4j.library.path";
  public static final String ENV = "GUIDANCE4J_LIBRARY_PATH";
  static final String PLATFORM = "linux-x86_64";
  static final String RESOURCE = "/native/linux-x86_64/libguidance4j.so";
  private static final String FILE_NAME = "libguidance4j.so";
  private static final Duration PRUNE_AFTER = Duration.ofDays(7);

  private static final System.Logger LOG = System.getLogger(NativeLibrary.class.getName());

  private static volatile Path loadedFrom;
  private static String failure;

  private NativeLibrary() {}

  /** Loads the library if this JVM has not yet; cheap after the first call. */
  public static void load() {
    if (loadedFrom == null) {
      loadOnce();
    }
  }

  /** The file the library was loaded from (loads it first if needed). */
  public static Path path() {
    load();
    return loadedFrom;
  }

  /** G4J_API_VERSION of the loaded library (always the bindings' version once loaded). */
  public static int apiVersion() {
    load();
    return guidance4j_h.g4j_api_version();
  }

  private static synchronized void loadOnce() {
    if (loadedFrom != null) {
      return;
    }
    // A failed load is final for this JVM: repeat the first, informative message rather than
    // a later, confusing one (such as a symbol that is not found).
    if (failure != null) {
      throw new LibraryLoadException(failure);
    }
    try {
      Path path = locate();
      loadFile(path);
      checkVersion(path);
      loadedFrom = path;
      LOG.log(System.Logger.Level.DEBUG, "guidance4j native library loaded from {0}", path);
    } catch (LibraryLoadException e) {
      failure = e.getMessage();
      throw e;
    }
  }

  private static Path locate() {
    String value = System.getProperty(PROPERTY);
    if (value != null && !value.isBlank()) {
      return checkOverride(value, "system property " + PROPERTY);
    }
    value = System.getenv(ENV);
    if (value != null && !value.isBlank()) {
      return checkOverride(value, "environment variable " + ENV);
    }
    checkPlatform(System.getProperty("os.name"), System.getProperty("os.arch"));
    return fromClasspath();
  }

  static Path checkOverride(String value, String source) {
    Path path = Path.of(value).toAbsolutePath();
    if (Files.isDirectory(path)) {
      throw new LibraryLoadException(
          source + " is " + path + ", a directory: give the library file itself, e.g. "
              + path.resolve(FILE_NAME));
    }
    if (!Files.isRegularFile(path)) {
      throw new LibraryLoadException(
          source + " is " + path + ", which does not exist (or is not a file)");
    }
    return path;
  }

  static void checkPlatform(String osName, String osArch) {
    String os = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
    boolean x64 = "amd64".equals(osArch) || "x86_64".equals(osArch);
    if (!os.startsWith("linux") || !x64) {
      throw new LibraryLoadException(
          "guidance4j ships its native library for " + PLATFORM + " only, and this JVM runs on "
              + osName + " / " + osArch + ": build native/ with CMake on this machine and set -D"
              + PROPERTY + "=<path to the library> or " + ENV);
    }
  }

  private static Path fromClasspath() {
    URL url = NativeLibrary.class.getResource(RESOURCE);
    if (url == null) {
      throw new LibraryLoadException(
          "the native library " + RESOURCE + " is not on the class path (was the jar built with"
              + " -Dg4j.native.skip and no library in build/native?); rebuild with ./guidance4j"
              + " build, or set -D" + PROPERTY + " or " + ENV + " to a libguidance4j.so");
    }
    // An exploded class path (target/classes in tests) already has a loadable file.
    if ("file".equals(url.getProtocol())) {
      try {
        return Path.of(url.toURI());
      } catch (URISyntaxException | IllegalArgumentException e) {
        // fall through to extraction
      }
    }
    byte[] bytes;
    try (InputStream in = url.openStream()) {
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new LibraryLoadException("cannot read " + url + ": " + e, e);
    }
    Path cache = cacheRoot();
    try {
      return extract(bytes, cache);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "cannot use the cache {0} ({1}); using a temp dir", cache, e);
    }
    try {
      Path dir = Files.createTempDirectory("guidance4j-native");
      Path file = dir.resolve(FILE_NAME);
      Files.write(file, bytes);
      // deleteOnExit runs in reverse registration order: the file, then its directory.
      dir.toFile().deleteOnExit();
      file.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new LibraryLoadException(
          "cannot extract the native library from " + url + " to " + cache + " nor to a temp"
              + " directory: " + e + "; set -D" + PROPERTY + " to an extracted copy",
          e);
    }
  }

  static Path cacheRoot() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("guidance4j").resolve("native");
  }

  /**
   * Writes {@code bytes} to {@code root/<content hash>/libguidance4j.so} unless an equal-sized
   * copy is already there. The file appears atomically, so a concurrent JVM never loads a
   * half-written library.
   */
  static Path extract(byte[] bytes, Path root) throws IOException {
    Path dir = root.resolve(sha256(bytes).substring(0, 20));
    Path file = dir.resolve(FILE_NAME);
    if (Files.isRegularFile(file) && Files.size(file) == bytes.length) {
      // the modification time records the last use, for pruning
      Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
      return file;
    }
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, FILE_NAME, ".part");
    try {
      Files.write(tmp, bytes);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    pruneUnused(root, dir);
    return file;
  }

  /**
   * Deletes cached libraries of other builds unused for {@link #PRUNE_AFTER}, so that rebuilding
   * does not fill the cache. Safe while another JVM runs one: Linux keeps an unlinked file's
   * mapping alive.
   */
  private static void pruneUnused(Path root, Path keep) {
    Instant cutoff = Instant.now().minus(PRUNE_AFTER);
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
      for (Path dir : dirs) {
        Path lib = dir.resolve(FILE_NAME);
        try {
          if (!dir.equals(keep)
              && Files.isRegularFile(lib)
              && Files.getLastModifiedTime(lib).toInstant().isBefore(cutoff)) {
            Files.delete(lib);
            Files.deleteIfExists(dir);
          }
        } catch (IOException e) {
          LOG.log(System.Logger.Level.DEBUG, "could not prune {0}: {1}", dir, e);
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "could not prune {0}: {1}", root, e);
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
    }
  }

  /** System.load with the real dlopen text in the failure, plus what usually causes it. */
  static void loadFile(Path path) {
    try {
      System.load(path.toString());
    } catch (UnsatisfiedLinkError e) {
      String text = String.valueOf(e.getMessage());
      String hint;
      if (text.contains("GLIBC")) {
        hint = "it needs a newer C/C++ runtime than this machine has: build it here (./guidance4j build)";
      } else if (text.contains("ELF")) {
        hint = "it is not a " + PLATFORM + " shared library";
      } else {
        hint = "rebuild it with ./guidance4j build, or point " + PROPERTY + " at a working copy";
      }
      throw new LibraryLoadException(
          "cannot load the guidance4j native library " + path + ": " + text + " (" + hint + ")", e);
    }
  }

  private static void checkVersion(Path path) {
    int expected = guidance4j_h.G4J_API_VERSION();
    int actual;
    try {
      actual = guidance4j_h.g4j_api_version();
    } catch (RuntimeException | LinkageError e) {
      throw new LibraryLoadException(
          path + " loaded but g4j_api_version cannot be called (" + e
              + "): is it a guidance4j library, and are this class and the bindings in one class loader?",
          e);
    }
    if (actual != expected) {
      throw new LibraryLoadException(
          path + " has C API version " + actual + " but these Java bindings need version "
              + expected + ": rebuild both from one checkout (./guidance4j build)");
    }
  }
}
