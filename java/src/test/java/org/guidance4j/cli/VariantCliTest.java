package org.guidance4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line of DPM-Solver++ and the guidance variants on the shipped digits model: each
 * flag reaches its sampler or guidance (runs of two samples, a few steps), and each misuse is one
 * line naming the flag, with exit code 2 and no output.
 */
class VariantCliTest {
  @TempDir Path outDir;

  private Path out() {
    return outDir.resolve("x.npy");
  }

  private String[] sample(String... extra) {
    List<String> a = new ArrayList<>(List.of(
        "sample", "--model", CliRun.model("digits-unet"), "--n", "2", "--class", "3,8", "--device", "cpu",
        "--out", out().toString()));
    a.addAll(Arrays.asList(extra));
    return a.toArray(String[]::new);
  }

  private float[] runs(String... extra) throws IOException {
    CliRun r = CliRun.of(sample(extra));
    assertEquals(0, r.code(), String.join(" ", extra) + ":\n" + r.err());
    NpyArray a = Npy.read(out());
    assertEquals(List.of(2L, 3L, 16L, 16L), Arrays.stream(a.shape()).boxed().toList());
    float[] x = a.toFloatArray();
    for (float v : x) {
      assertTrue(Float.isFinite(v), "finite samples");
    }
    Files.delete(out());
    return x;
  }

  private void fails(String[] args, String... words) {
    CliRun r = CliRun.of(args);
    assertEquals(2, r.code(), "exit code; stderr:\n" + r.err());
    assertEquals(1, r.lines().size(), r.err());
    for (String w : words) {
      assertTrue(r.err().contains(w), "'" + w + "' in: " + r.err());
    }
    assertFalse(Files.exists(out()));
  }

  @Test
  void eachVariantRunsAndChangesTheSamples() throws IOException {
    float[] cfg = runs("--sampler", "dpmpp-2m", "--steps", "4", "--guidance", "cfg", "--scale", "4");
    float[] rescaled = runs("--sampler", "dpmpp-2m", "--steps", "4", "--guidance", "cfg", "--scale", "4", "--guidance-rescale", "0.7");
    float[] apg = runs("--sampler", "dpmpp-2m", "--steps", "4", "--guidance", "apg", "--scale", "4");
    float[] apgAsCfg =
        runs("--sampler", "dpmpp-2m", "--steps", "4", "--guidance", "apg", "--scale", "4", "--apg-eta", "1", "--apg-momentum", "0");
    float[] pag = runs("--sampler", "dpmpp-2m", "--steps", "4", "--guidance", "pag", "--scale", "2");
    float[] cfgPag = runs("--sampler", "dpmpp-2m", "--steps", "4", "--guidance", "cfg", "--scale", "4", "--pag-scale", "2");
    float[] sde = runs("--sampler", "dpmpp-2m-sde", "--steps", "4", "--guidance", "cfg", "--scale", "4", "--solver-type", "heun");
    for (float[] other : List.of(rescaled, apg, pag, cfgPag, sde)) {
      assertTrue(maxDiff(cfg, other) > 1e-3, "a variant that changes nothing");
    }
    // APG with eta 1, no threshold and no momentum is CFG (up to float rounding)
    assertTrue(maxDiff(cfg, apgAsCfg) < 1e-4, "apg(eta 1) vs cfg: " + maxDiff(cfg, apgAsCfg));
    runs("--sampler", "ddim", "--steps", "3", "--guidance", "pag", "--pag-layers", "middle_block,output_blocks.0", "--interval", "0.5,20");
  }

  static double maxDiff(float[] a, float[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  @Test
  void samplerFlagsThatDoNotApply() {
    fails(sample("--sampler", "dpmpp-2m", "--eta", "0.5"), "--eta", "dpmpp-2m-sde");
    fails(sample("--sampler", "dpmpp-2m-sde", "--solver-type", "euler"), "--solver-type", "midpoint or heun");
    fails(sample("--sampler", "dpmpp-2m", "--timestep-respacing", "10"), "--timestep-respacing");
    fails(sample("--sampler", "dpmpp-3m"), "--sampler", "dpmpp-2m-sde");
  }

  @Test
  void guidanceFlagsThatDoNotApply() {
    fails(sample("--guidance", "cfg", "--guidance-rescale", "1.5"), "--guidance-rescale", "[0, 1]");
    fails(sample("--guidance", "auto", "--guidance-rescale", "0.5"), "--guidance-rescale", "cfg");
    fails(sample("--guidance", "cfg", "--apg-eta", "0.5"), "--apg-eta", "apg");
    fails(sample("--guidance", "apg", "--apg-momentum", "1"), "--apg-momentum", "(-1, 1)");
    fails(sample("--guidance", "apg", "--apg-norm-threshold", "-2"), "--apg-norm-threshold");
    fails(sample("--guidance", "none", "--pag-scale", "2"), "--pag-scale", "--guidance pag");
    fails(sample("--guidance", "cfg", "--pag-scale", "2", "--guidance-rescale", "0.7"), "--guidance-rescale", "--pag-scale");
    fails(sample("--guidance", "cfg", "--pag-layers", "mid"), "--pag-layers");
  }

  @Test
  void unknownPagLayerListsTheNetworksLayers() {
    fails(sample("--guidance", "pag", "--pag-layers", "output_blocks.9"), "--pag-layers", "output_blocks.9", "middle_block.1");
  }
}
