package org.guidance4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI as a real process, stopped by real signals. SIGINT and SIGTERM at random moments (from
 * JVM start to past the end of the run) must leave either nothing or the complete output, never
 * a temporary file or a partial one; outputs stream, so a run far larger than memory writes its
 * first images at once. {@code -Dg4j.interruptRuns=N} sets how many interrupted runs (default 16; the
 * signal comes anywhere from JVM start to 1.1 times a full run for half of them, in the last
 * fifth of a run, around the final rename, for the other half).
 */
class InterruptTest {
  private static final int N = 48;
  private static final int BATCH = 8;

  @TempDir Path tmp;

  private static List<String> java(String... jvmOptions) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-XX:-UsePerfData");
    cmd.addAll(List.of(jvmOptions));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("org.guidance4j.cli.Main");
    return cmd;
  }

  private static List<String> sample(Path out, int n, int batch) {
    return List.of("sample", "--model", CliRun.model("digits-unet"), "--n", String.valueOf(n), "--batch",
        String.valueOf(batch), "--steps", "2", "--class", "0,1,2,3", "--device", "cpu", "--out", out.toString());
  }

  private static Process start(List<String> cmd, Path log) throws IOException {
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private static void signal(Process p, String name) throws Exception {
    Process kill = new ProcessBuilder("kill", "-s", name, String.valueOf(p.pid())).start();
    kill.waitFor(10, TimeUnit.SECONDS);
  }

  private static int waitFor(Process p) throws Exception {
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("the CLI did not exit within 120 s");
    }
    return p.exitValue();
  }

  /** What is in {@code dir}: nothing, or exactly the complete output; returns which. */
  private static String checkLeftovers(Path dir, Path out, String kind, String log) throws IOException {
    List<Path> all = CliRun.contents(dir);
    if (all.isEmpty()) {
      return "nothing";
    }
    List<Path> expected = new ArrayList<>(List.of(out));
    if (kind.equals("folder")) {
      for (int i = 0; i < N; i++) {
        expected.add(out.resolve(String.format("%06d.png", i)));
      }
    }
    assertEquals(expected.stream().sorted().toList(), all, "only the complete output may be left; log:\n" + log);
    switch (kind) {
      case "npy" -> {
        NpyArray a = Npy.read(out);
        assertEquals(List.of((long) N, 3L, 16L, 16L), java.util.Arrays.stream(a.shape()).boxed().toList());
      }
      case "grid" -> {
        BufferedImage img = ImageIO.read(out.toFile());
        assertTrue(img != null && img.getWidth() > 0, "a readable PNG");
      }
      default -> {
        for (int i = 0; i < N; i++) {
          BufferedImage img = ImageIO.read(out.resolve(String.format("%06d.png", i)).toFile());
          assertTrue(img != null && img.getWidth() == 16, "a readable 16x16 PNG " + i);
        }
      }
    }
    return "complete";
  }

  private static Path output(Path dir, String kind) {
    return switch (kind) {
      case "npy" -> dir.resolve("out.npy");
      case "grid" -> dir.resolve("out.png");
      default -> dir.resolve("pngs");
    };
  }

  @Test
  void signalsAtRandomMomentsLeaveNoTemporaryOrPartialFile() throws Exception {
    String[] kinds = {"npy", "grid", "folder"};
    Map<String, Long> fullRunMillis = new TreeMap<>();
    for (String kind : kinds) {
      Path dir = Files.createDirectories(tmp.resolve("full-" + kind));
      Path out = output(dir, kind);
      Path log = tmp.resolve("full-" + kind + ".log");
      long t0 = System.nanoTime();
      Process p = start(concat(java(), sample(out, N, BATCH)), log);
      assertEquals(0, waitFor(p), Files.readString(log));
      fullRunMillis.put(kind, (System.nanoTime() - t0) / 1_000_000);
      assertEquals("complete", checkLeftovers(dir, out, kind, Files.readString(log)));
    }
    int runs = Integer.getInteger("g4j.interruptRuns", 16);
    SplittableRandom random = new SplittableRandom(0x14_14_14L);
    // the shortest run seen so far: the machine's speed changes, and a signal after the end tests little
    long estimate = fullRunMillis.values().stream().mapToLong(Long::longValue).min().orElseThrow();
    Map<String, Integer> outcomes = new TreeMap<>();
    int midWrite = 0;
    for (int r = 0; r < runs; r++) {
      String kind = kinds[r % kinds.length];
      String sig = r % 2 == 0 ? "INT" : "TERM";
      // three in four signals anywhere in the run, one in four near its end (the commit: the rename)
      double at = r % 4 != 3 ? random.nextDouble() : 0.75 + random.nextDouble() * 0.3;
      long delay = (long) (at * estimate);
      Path dir = Files.createDirectories(tmp.resolve("run-" + r));
      Path out = output(dir, kind);
      Path log = tmp.resolve("run-" + r + ".log");
      long t0 = System.nanoTime();
      Process p = start(concat(java(), sample(out, N, BATCH)), log);
      Thread.sleep(delay);
      signal(p, sig);
      int code = waitFor(p);
      String text = Files.readString(log);
      assertTrue(code == 0 || code == 130 || code == 143,
          "exit code " + code + " after SIG" + sig + " at " + delay + " ms; log:\n" + text);
      String left = checkLeftovers(dir, out, kind, "SIG" + sig + " at " + delay + " ms, exit " + code + ":\n" + text);
      String when;
      if (code == 0) {
        when = "finished";
        estimate = Math.min(estimate, (System.nanoTime() - t0) / 1_000_000);
      } else if (left.equals("complete")) {
        when = "stopped after the rename";
      } else if (text.contains("batch ")) {
        when = "stopped while sampling and writing"; // the progress line: the output was open
        midWrite++;
      } else {
        when = "stopped before the first step";
      }
      outcomes.merge(when, 1, Integer::sum);
    }
    System.out.println("interrupt test: " + runs + " runs of " + String.join(", ", kinds) + " outputs, SIGINT/SIGTERM"
        + " up to 1.05 x the shortest full run (" + estimate + " ms at the end): " + outcomes
        + "; no temporary or partial file in any");
    if (runs >= 8) {
      assertTrue(midWrite > 0, "no signal landed while the output was being written: " + outcomes);
    }
  }

  /**
   * Ten million samples, one per batch, into a folder, in a JVM with a 64 MiB heap: PNGs appear
   * while it runs (nothing of size N is allocated), and a SIGTERM then leaves nothing behind.
   */
  @Test
  void aHugeRunStreamsWithBoundedMemory() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("huge"));
    Path out = dir.resolve("pngs");
    Path log = tmp.resolve("huge.log");
    Process p = start(concat(java("-Xmx64m"), sample(out, 10_000_000, 1)), log);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    int pngs = 0;
    while (pngs < 20 && p.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(200);
      pngs = countPngs(dir);
    }
    boolean alive = p.isAlive();
    signal(p, "TERM");
    int code = waitFor(p);
    String text = Files.readString(log);
    assertTrue(alive && pngs >= 20, pngs + " PNGs written while running (alive: " + alive + "); log:\n" + text);
    assertEquals(143, code, text);
    assertEquals(List.of(), CliRun.contents(dir), "nothing left after SIGTERM; log:\n" + text);
  }

  /**
   * A write that fails for want of space (here a file-size limit, EFBIG: the same path through
   * the code as ENOSPC) names the output and the system's reason, and leaves nothing.
   */
  @Test
  void aFailedWriteNamesTheFileAndLeavesNothing() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("limited"));
    Path out = dir.resolve("out.npy");
    Path log = tmp.resolve("limited.log");
    List<String> inner = concat(java(), sample(out, N, BATCH));
    String script = "ulimit -f 64; exec " + String.join(" ", inner.stream().map(InterruptTest::quote).toList());
    Process p = start(List.of("bash", "-c", script), log);
    int code = waitFor(p);
    String text = Files.readString(log);
    assertEquals(1, code, text);
    assertTrue(text.contains("error: cannot write " + out + ": File too large"), text);
    assertEquals(List.of(), CliRun.contents(dir), text);
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  private static int countPngs(Path dir) throws IOException {
    int n = 0;
    for (Path p : CliRun.contents(dir)) {
      if (p.getFileName().toString().endsWith(".png")) {
        n++;
      }
    }
    return n;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

}
