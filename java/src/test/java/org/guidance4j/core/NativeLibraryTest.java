package org.guidance4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeLibraryTest {
  @TempDir Path tmp;

  @Test
  void overrideThatDoesNotExistNamesThePathAndItsSource() {
    Path missing = tmp.resolve("nowhere").resolve("libguidance4j.so");
    LibraryLoadException e =
        assertThrows(
            LibraryLoadException.class,
            () -> NativeLibrary.checkOverride(missing.toString(), "system property " + NativeLibrary.PROPERTY));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(NativeLibrary.PROPERTY), e.getMessage());
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }

  @Test
  void overrideThatIsADirectoryIsRejected() {
    LibraryLoadException e =
        assertThrows(LibraryLoadException.class, () -> NativeLibrary.checkOverride(tmp.toString(), "test"));
    assertTrue(e.getMessage().contains("directory"), e.getMessage());
  }

  @Test
  void aFileThatIsNoLibraryFailsWithTheDlopenText() throws Exception {
    // An ELF executable, not a shared library (a non-ELF file would also fail, but makes the
    // JVM print a stack-guard warning first).
    Path junk = tmp.resolve("libjunk.so");
    Files.copy(Path.of(System.getProperty("java.home"), "bin", "java"), junk);
    LibraryLoadException e = assertThrows(LibraryLoadException.class, () -> NativeLibrary.loadFile(junk));
    assertTrue(e.getMessage().contains(junk.toString()), e.getMessage());
    // the JDK's own UnsatisfiedLinkError text (dlopen's), not a paraphrase
    assertTrue(e.getCause() instanceof UnsatisfiedLinkError, String.valueOf(e.getCause()));
    assertTrue(e.getMessage().contains(e.getCause().getMessage()), e.getMessage());
  }

  @Test
  void unsupportedPlatformsAreNamed() {
    LibraryLoadException e =
        assertThrows(LibraryLoadException.class, () -> NativeLibrary.checkPlatform("Mac OS X", "aarch64"));
    assertTrue(e.getMessage().contains("Mac OS X / aarch64"), e.getMessage());
    assertTrue(e.getMessage().contains("linux-x86_64"), e.getMessage());
    NativeLibrary.checkPlatform("Linux", "amd64");
  }

  @Test
  void extractionIsKeyedByContent() throws Exception {
    byte[] a = "library A".getBytes(StandardCharsets.US_ASCII);
    byte[] b = "library B".getBytes(StandardCharsets.US_ASCII);
    Path pa = NativeLibrary.extract(a, tmp);
    assertEquals(pa, NativeLibrary.extract(a, tmp), "a second extraction reuses the first");
    Path pb = NativeLibrary.extract(b, tmp);
    assertNotEquals(pa.getParent(), pb.getParent());
    assertArrayEquals(a, Files.readAllBytes(pa));
    assertArrayEquals(b, Files.readAllBytes(pb));
    assertEquals("libguidance4j.so", pa.getFileName().toString());
  }

  @Test
  void librariesOfOtherBuildsArePrunedAfterAWeekUnused() throws Exception {
    Path stale = NativeLibrary.extract("old build".getBytes(StandardCharsets.US_ASCII), tmp);
    Path recent = NativeLibrary.extract("recent build".getBytes(StandardCharsets.US_ASCII), tmp);
    Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofDays(8))));
    Files.setLastModifiedTime(recent, FileTime.from(Instant.now().minus(Duration.ofDays(2))));
    Path current = NativeLibrary.extract("this build".getBytes(StandardCharsets.US_ASCII), tmp);
    assertTrue(Files.isRegularFile(current));
    assertTrue(Files.isRegularFile(recent));
    assertFalse(Files.exists(stale.getParent()), "unused for 8 days: pruned");
  }

  @Test
  void theBundledLibraryLoadsWithTheExpectedApiVersion() {
    assertTrue(Files.isRegularFile(NativeLibrary.path()));
    assertEquals(org.guidance4j.bindings.guidance4j_h.G4J_API_VERSION(), NativeLibrary.apiVersion());
  }
}
