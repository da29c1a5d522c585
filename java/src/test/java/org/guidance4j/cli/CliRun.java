package org.guidance4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Runs the CLI in-process with stderr captured; finds the shipped demo models. */
record CliRun(int code, String err) {
  static CliRun of(String... args) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    int code;
    try (PrintStream err = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
      code = Cli.run(args, err);
    }
    return new CliRun(code, buffer.toString(StandardCharsets.UTF_8));
  }

  List<String> lines() {
    return err.lines().toList();
  }

  boolean hasStackTrace() {
    return err.contains("\tat ");
  }

  /** The repository's models/ folder, searched upwards from the working directory (Maven runs in java/). */
  static Path models() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("models/digits-unet/config.json"))) {
        return p.resolve("models");
      }
    }
    throw new IllegalStateException("models/digits-unet not found above " + Path.of("").toAbsolutePath());
  }

  static String model(String name) {
    return models().resolve(name).toString();
  }

  /** Every entry in {@code dir}, recursively (to show that nothing, not even a temporary file, was left). */
  static List<Path> contents(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> !p.equals(dir)).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A copy of a shipped model in {@code dir}, to be broken by a test. */
  static Path copyModel(String name, Path dir) throws IOException {
    Path src = models().resolve(name);
    Path dst = Files.createDirectories(dir.resolve(name));
    try (Stream<Path> s = Files.list(src)) {
      for (Path f : s.toList()) {
        Files.copy(f, dst.resolve(f.getFileName()));
      }
    }
    return dst;
  }
}
