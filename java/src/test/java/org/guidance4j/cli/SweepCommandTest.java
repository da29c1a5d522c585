package org.guidance4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `sweep` on the shipped models at toy size: the files it writes, and its errors. */
class SweepCommandTest {
  @TempDir Path tmp;

  /** The rows of issue 16 (rescale, APG, PAG, the step-count comparison) left out. */
  static final String[] NO_VARIANTS = {
    "--rescale-scales", "", "--apg-scales", "", "--pag-scales", "", "--cfg-pag-scales", "", "--step-counts", ""
  };

  private String[] sweep(Path out, String... extra) {
    String m = CliRun.models().toString();
    List<String> a = new java.util.ArrayList<>(List.of(
        "sweep", "--model", m + "/digits-unet", "--guide-model", m + "/digits-unet-weak",
        "--classifier", m + "/digits-classifier", "--heldout", m + "/digits-heldout.npy",
        "--heldout-labels", m + "/digits-heldout-labels.npy", "--device", "cpu", "--out", out.toString()));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  @Test
  void writesTableAndPlot() throws IOException {
    Path out = tmp.resolve("quality");
    CliRun r = CliRun.of(sweep(out, concat(new String[] {"--n", "10", "--steps", "2", "--batch", "10",
        "--cfg-scales", "2", "--classifier-scales", "1,2", "--auto-scales", "2"}, NO_VARIANTS)));
    assertEquals(0, r.code(), r.err());
    assertEquals(List.of(out.resolve("quality.md"), out.resolve("quality.png")), CliRun.contents(out));
    String md = Files.readString(out.resolve("quality.md"));
    for (String row : List.of("| none |", "| cfg | 2 |", "| classifier | 1 |", "| classifier | 2 |", "| auto | 2 |", "held-out real images (359)")) {
      assertTrue(md.contains(row), row + " in:\n" + md);
    }
    assertTrue(md.contains("n = 10 samples") && md.contains("ddim2"), md);
    BufferedImage png = ImageIO.read(out.resolve("quality.png").toFile());
    assertTrue(png.getWidth() > 800 && png.getHeight() > 300);
  }

  @Test
  void skippedMethodsAreLeftOut() throws IOException {
    Path out = tmp.resolve("q");
    CliRun r = CliRun.of(sweep(out, concat(new String[] {"--n", "10", "--steps", "2", "--cfg-scales", "", "--classifier-scales", "", "--auto-scales", "3"}, NO_VARIANTS)));
    assertEquals(0, r.code(), r.err());
    String md = Files.readString(out.resolve("quality.md"));
    assertTrue(md.contains("| auto | 3 |") && !md.contains("| cfg |") && !md.contains("| classifier |"), md);
  }

  static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void variantRowsAndStepComparison() throws IOException {
    Path out = tmp.resolve("variants");
    CliRun r = CliRun.of(sweep(out, "--n", "10", "--steps", "2", "--batch", "10",
        "--cfg-scales", "", "--classifier-scales", "", "--auto-scales", "",
        "--rescale-scales", "3", "--apg-scales", "3", "--pag-scales", "2", "--cfg-pag-scales", "1",
        "--step-counts", "3"));
    assertEquals(0, r.code(), r.err());
    assertEquals(List.of(out.resolve("quality.md"), out.resolve("quality.png"), out.resolve("steps.png")), CliRun.contents(out));
    String md = Files.readString(out.resolve("quality.md"));
    for (String row : List.of("| cfg-rescale | 3 |", "| apg | 3 |", "| pag | 2 |", "| cfg+pag | 1 |",
        "| ddim | 3 | 3 |", "| ddim-noclip | 3 | 3 |", "| heun | 2 | 3 |", "| dpmpp-2m | 3 | 3 |", "| dpmpp-2m-sde | 3 | 3 |",
        "guidance cfg 2.0")) {
      assertTrue(md.contains(row), row + " in:\n" + md);
    }
    assertTrue(ImageIO.read(out.resolve("steps.png").toFile()).getWidth() > 800);
  }

  @Test
  void variantFlagsOfSampleAreRefused() {
    Path out = tmp.resolve("q");
    CliRun r = CliRun.of(sweep(out, "--guidance-rescale", "0.7"));
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--rescale-scales"), r.err());
    r = CliRun.of(sweep(out, "--step-counts", "1"));
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--step-counts"), r.err());
    r = CliRun.of(sweep(out, "--step-samplers", "ddim,plms"));
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--step-samplers") && r.err().contains("plms"), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void badScaleList() {
    Path out = tmp.resolve("q");
    CliRun r = CliRun.of(sweep(out, "--cfg-scales", "2,-1"));
    assertEquals(2, r.code(), r.err());
    assertTrue(r.lines().size() == 1 && r.err().contains("--cfg-scales"), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void outputThatIsAFile() throws IOException {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    CliRun r = CliRun.of(sweep(file, "--n", "10"));
    assertEquals(2, r.code(), r.err());
    assertTrue(r.lines().size() == 1 && r.err().contains("not a folder"), r.err());
  }

  @Test
  void missingHeldOutSet() {
    Path out = tmp.resolve("q");
    Path missing = tmp.resolve("none.npy");
    CliRun r = CliRun.of(sweep(out, "--n", "10", "--steps", "1", "--heldout", missing.toString()));
    assertEquals(1, r.code(), r.err());
    assertTrue(r.lines().size() == 1 && r.err().contains(missing.toString()) && !r.hasStackTrace(), r.err());
    assertFalse(Files.exists(out), "no output folder for a failed sweep");
  }

  @Test
  void tooFewSamples() {
    CliRun r = CliRun.of(sweep(tmp.resolve("q"), "--n", "1"));
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--n"), r.err());
  }
}
