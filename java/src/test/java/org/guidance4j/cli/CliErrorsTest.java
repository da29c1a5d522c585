package org.guidance4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.guidance4j.core.OutOfDeviceMemoryException;
import org.guidance4j.io.CheckpointEdits;
import org.guidance4j.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's failures, each as the issue asks: one line naming the problem, exit code 1 (the
 * command failed) or 2 (the command line is wrong), a stack trace only under --verbose, and no
 * output file left behind, not even a temporary one. Every case uses the shipped digits models,
 * one sample and two steps, so the cases that get as far as sampling stay quick.
 */
class CliErrorsTest {
  @TempDir Path tmp;
  @TempDir Path outDir;

  private String out() {
    return outDir.resolve("samples.png").toString();
  }

  /** A `sample` command line: one image, two steps, into outDir. */
  private String[] sample(String... extra) {
    List<String> a = new ArrayList<>(List.of("sample", "--n", "1", "--steps", "2", "--device", "cpu", "--out", out()));
    a.addAll(Arrays.asList(extra));
    return a.toArray(String[]::new);
  }

  /** Runs a failing command; checks the exit code, the single line and its words, and that nothing was written. */
  private CliRun fails(int code, String[] args, String... words) {
    CliRun r = CliRun.of(args);
    assertEquals(code, r.code(), "exit code of " + String.join(" ", args) + "; stderr:\n" + r.err());
    assertEquals(1, r.lines().size(), "exactly one line:\n" + r.err());
    String line = r.lines().getFirst();
    assertTrue(line.startsWith("error: "), line);
    for (String w : words) {
      assertTrue(line.contains(w), "'" + w + "' in: " + line);
    }
    assertFalse(r.hasStackTrace(), r.err());
    assertEquals(List.of(), CliRun.contents(outDir), "nothing left in the output folder");
    return r;
  }

  @Test
  void missingModelFolder() {
    Path missing = tmp.resolve("no-such-model");
    fails(1, sample("--model", missing.toString()), missing.toString(), "no such file");
  }

  @Test
  void missingCheckpoint() throws IOException {
    Path m = CliRun.copyModel("digits-unet", tmp);
    Files.delete(m.resolve("model.safetensors"));
    fails(1, sample("--model", m.toString()), m.toString(), "no .safetensors");
  }

  @Test
  void missingInitNoiseFile() {
    Path missing = tmp.resolve("noise.npy");
    fails(1, sample("--model", CliRun.model("digits-unet"), "--init-noise", missing.toString()), missing.toString());
  }

  @Test
  void configThatIsNotJson() throws IOException {
    Path m = CliRun.copyModel("digits-unet", tmp);
    Path config = m.resolve("config.json");
    Files.writeString(config, Files.readString(config).replaceFirst("\\{", ""));
    fails(1, sample("--model", m.toString()), config.toString(), "invalid JSON", "line 2, column 9");
  }

  @Test
  void configValueOfTheWrongType() throws IOException {
    Path m = CliRun.copyModel("digits-unet", tmp);
    Path config = m.resolve("config.json");
    Files.writeString(config, Files.readString(config).replace("\"num_res_blocks\": 2", "\"num_res_blocks\": \"two\""));
    fails(1, sample("--model", m.toString()), config.toString(), "num_res_blocks", "integer");
  }

  @Test
  void configOfAnotherKind() {
    String classifier = CliRun.model("digits-classifier");
    fails(1, sample("--model", classifier), "config.json", "adm_classifier", "adm_unet");
  }

  @Test
  void checkpointThatDoesNotFitItsConfig() throws IOException {
    Path m = CliRun.copyModel("digits-unet", tmp);
    Path config = m.resolve("config.json");
    // twice the channels the checkpoint has, whatever the shipped model's width is
    java.util.regex.Matcher width =
        java.util.regex.Pattern.compile("\"num_channels\": (\\d+)").matcher(Files.readString(config));
    assertTrue(width.find(), "config.json has num_channels");
    Files.writeString(config, width.replaceFirst("\"num_channels\": " + 2 * Integer.parseInt(width.group(1))));
    fails(1, sample("--model", m.toString()), "model.safetensors", "time_embed.0.weight", "shape");
  }

  @Test
  void classOutOfRange() {
    fails(2, sample("--model", CliRun.model("digits-unet"), "--class", "12"), "--class 12", "0..9");
  }

  @Test
  void classNotANumber() {
    fails(2, sample("--model", CliRun.model("digits-unet"), "--class", "1,x"), "--class", "1,x");
  }

  @Test
  void negativeScale() {
    fails(2, sample("--model", CliRun.model("digits-unet"), "--guidance", "cfg", "--scale", "-1"), "--scale", "-1");
  }

  @Test
  void scaleNotANumber() {
    fails(2, sample("--model", CliRun.model("digits-unet"), "--guidance", "cfg", "--scale", "big"), "--scale", "'big'");
  }

  @Test
  void infiniteScale() {
    fails(2, sample("--model", CliRun.model("digits-unet"), "--guidance", "cfg", "--scale", "Infinity"), "--scale", "finite");
  }

  @Test
  void scaleWithoutGuidance() {
    fails(2, sample("--model", CliRun.model("digits-unet"), "--scale", "2"), "--scale", "--guidance");
  }

  @Test
  void stepsBelowOne() {
    String[] args = {"sample", "--model", CliRun.model("digits-unet"), "--n", "1", "--steps", "0", "--out", out()};
    fails(2, args, "--steps", "0");
  }

  @Test
  void edmStepsBelowOne() {
    String[] args = {"sample", "--model", CliRun.model("digits-unet"), "--sampler", "heun", "--steps", "-3", "--out", out()};
    fails(2, args, "--steps", "-3");
  }

  @Test
  void samplesBelowOne() {
    fails(2, new String[] {"sample", "--model", CliRun.model("digits-unet"), "--n", "0", "--out", out()}, "--n", "0");
  }

  @Test
  void unknownFlag() {
    fails(2, sample("--model", CliRun.model("digits-unet"), "--sclae", "2"), "--sclae");
  }

  @Test
  void flagWithoutValue() {
    fails(2, new String[] {"sample", "--out", out(), "--model"}, "--model", "needs a value");
  }

  @Test
  void missingRequiredModel() {
    fails(2, new String[] {"sample", "--out", out()}, "--model", "required");
  }

  @Test
  void unknownCommand() {
    CliRun r = CliRun.of("smaple");
    assertEquals(2, r.code());
    assertTrue(r.lines().getFirst().equals("error: unknown command 'smaple'"), r.err());
    assertFalse(r.hasStackTrace());
  }

  @Test
  void autoguidanceWithoutGuide() {
    fails(2, sample("--model", CliRun.model("digits-unet"), "--guidance", "auto"), "--guide-model");
  }

  @Test
  void classifierGuidanceWithoutClassifier() {
    fails(2, sample("--model", CliRun.model("digits-unet"), "--guidance", "classifier"), "--classifier");
  }

  @Test
  void initialNoiseOfTheWrongShape() throws IOException {
    Path noise = tmp.resolve("noise.npy");
    Npy.writeFloats(noise, new long[] {1, 3, 8, 8}, new float[3 * 8 * 8]);
    // fails after the models are loaded, just before sampling: still nothing written
    fails(2, sample("--model", CliRun.model("digits-unet"), "--init-noise", noise.toString()),
        "--init-noise", "[1, 3, 8, 8]", "[1, 3, 16, 16]");
  }

  @Test
  void oneDdimStepNamesTheFlag() {
    fails(2, new String[] {"sample", "--model", CliRun.model("digits-unet"), "--n", "1", "--steps", "1", "--out",
        outDir.resolve("x.png").toString()}, "--steps", "exactly 1 steps");
  }

  @Test
  void emptyIntervalIsAUsageError() {
    fails(2, sample("--model", CliRun.model("digits-unet"), "--guidance", "cfg", "--interval", "3,1"), "--interval", "3,1");
  }

  @Test
  void outputFolderMissing() {
    Path missing = outDir.resolve("no-such-folder").resolve("x.png");
    fails(2, new String[] {"sample", "--model", CliRun.model("digits-unet"), "--n", "1", "--steps", "2", "--out", missing.toString()},
        "--out", "does not exist");
  }

  @Test
  void outputIsAFolder() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("grid.png"));
    CliRun r = CliRun.of("sample", "--model", CliRun.model("digits-unet"), "--n", "1", "--steps", "2", "--out", dir.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.lines().size() == 1 && r.err().contains("is a folder"), r.err());
    assertEquals(List.of(), CliRun.contents(dir));
  }

  @Test
  void outputFolderOfPngsNotEmpty() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("pngs"));
    Path keep = Files.writeString(dir.resolve("keep.txt"), "mine");
    CliRun r = CliRun.of("sample", "--model", CliRun.model("digits-unet"), "--n", "1", "--steps", "2", "--out", dir.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.lines().size() == 1 && r.err().contains("not an empty folder"), r.err());
    assertEquals(List.of(keep), CliRun.contents(dir));
  }

  /** A folder the user may not write to; root may write anywhere, so this runs only for other users. */
  @Test
  void outputFolderReadOnly() throws IOException {
    Files.setPosixFilePermissions(outDir, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      assumeTrue(!Files.isWritable(outDir), "running as root: permissions do not stop writes");
      fails(2, sample("--model", CliRun.model("digits-unet")), "--out", "not writable");
    } finally {
      Files.setPosixFilePermissions(outDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  /**
   * A folder no one can create files in, not even root: /proc. Found before sampling (isWritable
   * says yes there), so the run does not end in a failed write.
   */
  @Test
  void outputFolderWhereNoFileCanBeCreated() {
    Path proc = Path.of("/proc");
    assumeTrue(Files.isDirectory(proc.resolve("self")), "needs Linux's /proc");
    for (String name : List.of("x.png", "x.npy", "pngs")) {
      String target = proc.resolve(name).toString();
      CliRun r = CliRun.of("sample", "--model", CliRun.model("digits-unet"), "--n", "1", "--steps", "2", "--out", target);
      assertEquals(2, r.code(), r.err());
      assertEquals(1, r.lines().size(), r.err());
      // root passes isWritable and fails the probe; other users fail isWritable
      assertTrue(
          r.err().contains("--out " + target)
              && (r.err().contains("cannot create files in /proc") || r.err().contains("/proc is not writable")),
          r.err());
      assertFalse(Files.exists(proc.resolve(name)));
    }
  }

  @Test
  void verbosePrintsTheStackTrace() {
    Path missing = tmp.resolve("no-such-model");
    CliRun r = CliRun.of(sample("--model", missing.toString(), "--verbose"));
    assertEquals(1, r.code());
    assertTrue(r.lines().getFirst().startsWith("error: ") && r.lines().getFirst().contains(missing.toString()), r.err());
    assertTrue(r.hasStackTrace() && r.lines().size() > 2, r.err());
    assertEquals(List.of(), CliRun.contents(outDir));
  }

  /**
   * Running out of device memory cannot be provoked on a CPU-only machine (and a huge host
   * allocation might succeed under overcommit), so this checks the mapping the CLI applies to the
   * exception the native allocator raises: its text plus what to do about it.
   */
  @Test
  void outOfDeviceMemoryMessage() {
    String m = Cli.message(new OutOfDeviceMemoryException("g4j_tensor_alloc", "cuda:0: cannot allocate 2048 MiB"));
    // where a batch was sampling, `sample` and `compare` add the --batch advice themselves
    assertTrue(m.contains("cannot allocate 2048 MiB") && m.contains("one batch must fit") && !m.contains("--batch"), m);
  }

  /** Outputs stream, so the heap does not grow with --n: the advice is the heap size, not a smaller --n. */
  @Test
  void outOfJavaHeapMessage() {
    String m = Cli.message(new OutOfMemoryError("Java heap space"));
    assertTrue(m.contains("Java heap") && m.contains("-Xmx") && !m.contains("--n"), m);
  }

  /** A denied write after sampling (a race with the check) names the file and the reason, not the bare path. */
  @Test
  void accessDeniedMessage() {
    assertEquals("/data/x.png: permission denied", Cli.message(new java.nio.file.AccessDeniedException("/data/x.png")));
  }

  @Test
  void successLeavesOnlyTheOutput() {
    CliRun r = CliRun.of(sample("--model", CliRun.model("digits-unet"), "--class", "3"));
    assertEquals(0, r.code(), r.err());
    assertEquals(List.of(outDir.resolve("samples.png")), CliRun.contents(outDir));
  }

  @Test
  void folderOutputIsReadableByOthers() throws IOException {
    Path dir = outDir.resolve("pngs");
    CliRun r = CliRun.of("sample", "--model", CliRun.model("digits-unet"), "--n", "2", "--steps", "2", "--class", "1", "--out", dir.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(List.of(dir, dir.resolve("000000.png"), dir.resolve("000001.png")), CliRun.contents(outDir));
    // a temporary directory is created 0700; the renamed result must have a new folder's permissions
    Path plain = Files.createDirectory(tmp.resolve("plain"));
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(dir));
  }

  // ---- issue 14: no silent garbage -----------------------------------------------------------

  /** A `forward` command line on the digits U-Net: inputs written to tmp, output into outDir. */
  private String[] forward(long[] t, String... extra) throws IOException {
    Path x = tmp.resolve("x.npy");
    Path ts = tmp.resolve("t.npy");
    Path y = tmp.resolve("y.npy");
    float[] xs = new float[t.length * 3 * 16 * 16];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = (i % 7) * 0.1f - 0.3f;
    }
    Npy.writeFloats(x, new long[] {t.length, 3, 16, 16}, xs);
    Npy.writeLongs(ts, new long[] {t.length}, t);
    Npy.writeLongs(y, new long[] {t.length}, new long[t.length]);
    List<String> a = new ArrayList<>(List.of("forward", "--model", CliRun.model("digits-unet"), "--x", x.toString(),
        "--t", ts.toString(), "--y", y.toString(), "--out", outDir.resolve("out.npy").toString()));
    a.addAll(Arrays.asList(extra));
    return a.toArray(String[]::new);
  }

  @Test
  void aNaNWeightIsNamedAtLoad() throws IOException {
    Path m = CliRun.copyModel("digits-unet", tmp);
    CheckpointEdits.setElement(m.resolve("model.safetensors"), "time_embed.2.weight", 1234, Float.NaN);
    fails(1, sample("--model", m.toString()), "model.safetensors", "time_embed.2.weight", "element 1234", "NaN");
  }

  @Test
  void anInfiniteWeightIsNamedAtLoad() throws IOException {
    Path m = CliRun.copyModel("digits-unet", tmp);
    CheckpointEdits.setElement(m.resolve("model.safetensors"), "out.2.bias", 1, Float.NEGATIVE_INFINITY);
    fails(1, sample("--model", m.toString()), "out.2.bias", "element 1", "-Infinity");
  }

  /** 3e38 is finite, so the checkpoint loads, but the first step overflows: the watch names the sample and the step. */
  @Test
  void aHugeWeightThatOverflowsIsFoundAtItsFirstStep() throws IOException {
    Path m = CliRun.copyModel("digits-unet", tmp);
    CheckpointEdits.setElement(m.resolve("model.safetensors"), "input_blocks.0.0.weight", 0, 3e38f);
    CliRun r = fails(1, sample("--model", m.toString(), "--n", "3", "--batch", "2"), "sample 0", "non-finite", "step 1 of 2");
    assertTrue(r.err().contains("(and 1 more sample of its batch)"), r.err());
  }

  @Test
  void aHeaderLengthAFewBytesShortIsRefused() throws IOException {
    for (int shorter = 1; shorter <= 3; shorter++) {
      Path m = CliRun.copyModel("digits-unet", tmp.resolve("short" + shorter));
      CheckpointEdits.shiftHeaderLength(m.resolve("model.safetensors"), -shorter);
      fails(1, sample("--model", m.toString()), "model.safetensors", shorter + " trailing byte");
    }
  }

  @Test
  void initialNoiseWithANaN() throws IOException {
    Path noise = tmp.resolve("noise.npy");
    float[] values = new float[3 * 16 * 16];
    values[300] = Float.NaN;
    Npy.writeFloats(noise, new long[] {1, 3, 16, 16}, values);
    fails(1, sample("--model", CliRun.model("digits-unet"), "--init-noise", noise.toString()),
        "--init-noise " + noise, "element 300 [0, 1, 2, 12]", "NaN");
  }

  @Test
  void channelMultThatIsNotNumbers() throws IOException {
    Path m = CliRun.copyModel("digits-unet", tmp);
    Path config = m.resolve("config.json");
    Files.writeString(config, Files.readString(config).replace("\"channel_mult\": \"1,1\"", "\"channel_mult\": \"1,x\""));
    fails(1, sample("--model", m.toString()), config.toString(), "channel_mult", "\"1,x\"", "'x' is not a number");
  }

  @Test
  void negativeChannels() throws IOException {
    Path m = CliRun.copyModel("digits-unet", tmp);
    Path config = m.resolve("config.json");
    Files.writeString(config, Files.readString(config).replace("\"num_channels\": 64", "\"num_channels\": -64"));
    fails(1, sample("--model", m.toString()), config.toString(), "num_channels", ">= 1", "-64");
  }

  @Test
  void absurdDiffusionSteps() throws IOException {
    Path m = CliRun.copyModel("digits-unet", tmp);
    Path config = m.resolve("config.json");
    Files.writeString(config, Files.readString(config).replace("\"diffusion_steps\": 1000", "\"diffusion_steps\": 1000000000"));
    CliRun r = fails(1, sample("--model", m.toString()), config.toString(), "diffusion_steps", "[1, 100000]", "1000000000");
    assertFalse(r.err().contains("--n"), r.err());
  }

  @Test
  void bogusClassifierPool() throws IOException {
    Path c = CliRun.copyModel("digits-classifier", tmp);
    Path config = c.resolve("config.json");
    Files.writeString(config, Files.readString(config).replace("\"classifier_pool\": \"attention\"", "\"classifier_pool\": \"bogus\""));
    fails(1, sample("--model", CliRun.model("digits-unet"), "--guidance", "classifier", "--classifier", c.toString()),
        config.toString(), "classifier_pool", "\"bogus\"", "\"attention\"");
  }

  /** `info` loads what it describes: a model that cannot load fails there with forward's own error line. */
  @Test
  void infoFailsLikeForwardOnModelsThatCannotLoad() throws IOException {
    Path missing = CliRun.copyModel("digits-unet", tmp.resolve("missing"));
    CheckpointEdits.drop(missing.resolve("model.safetensors"), "out.2.bias");
    Path wide = CliRun.copyModel("digits-unet", tmp.resolve("wide"));
    Files.writeString(wide.resolve("config.json"),
        Files.readString(wide.resolve("config.json")).replace("\"num_channels\": 64", "\"num_channels\": 128"));
    Path negative = CliRun.copyModel("digits-unet", tmp.resolve("negative"));
    Files.writeString(negative.resolve("config.json"),
        Files.readString(negative.resolve("config.json")).replace("\"num_channels\": 64", "\"num_channels\": -64"));
    Path nan = CliRun.copyModel("digits-unet", tmp.resolve("nan"));
    CheckpointEdits.setElement(nan.resolve("model.safetensors"), "out.2.weight", 7, Float.NaN);
    for (Path m : List.of(missing, wide, negative, nan)) {
      CliRun info = fails(1, new String[] {"info", "--model", m.toString()}, m.toString());
      CliRun fwd = CliRun.of(forward(new long[] {5}, "--model", m.toString()));
      assertEquals(1, fwd.code(), fwd.err());
      assertEquals(fwd.lines(), info.lines(), "info and forward fail alike on " + m);
    }
  }

  @Test
  void samplerFlagsOutOfRangeAreUsageErrors() {
    String model = CliRun.model("digits-unet");
    fails(2, sample("--model", model, "--eta", "-1"), "--eta", ">= 0", "-1");
    fails(2, sample("--model", model, "--sampler", "heun", "--sigma-min", "0"), "--sigma-min", "> 0");
    fails(2, sample("--model", model, "--sampler", "heun", "--sigma-max", "0.001"), "--sigma-max", ">= --sigma-min");
    fails(2, sample("--model", model, "--sampler", "heun", "--rho", "0"), "--rho", "> 0");
    fails(2, sample("--model", model, "--sampler", "heun", "--s-churn", "-2"), "--s-churn", ">= 0");
    fails(2, sample("--model", model, "--batch", "0"), "--batch", ">= 1", "0");
    fails(2, sample("--model", model, "--sampler", "heun", "--sigma-schedule", "logsnr", "--sigma-max", "1e30"), "--sigma-max", "log-SNR");
  }

  @Test
  void zeroColumns() {
    fails(2, sample("--model", CliRun.model("digits-unet"), "--columns", "0"), "--columns", ">= 1", "0");
  }

  /** One rule for guidance scales in `sample` and `compare`. */
  @Test
  void negativeScaleInCompareRows() {
    String out = outDir.resolve("c.png").toString();
    fails(2, new String[] {"compare", "--model", CliRun.model("digits-unet"), "--rows", "none,cfg:-3", "--steps", "2",
        "--device", "cpu", "--out", out}, "--rows 'cfg:-3'", ">= 0", "-3");
    fails(2, sample("--model", CliRun.model("digits-unet"), "--guidance", "cfg", "--scale", "-5"), "--scale", ">= 0", "-5");
  }

  @Test
  void outputWithAnotherExtension() {
    fails(2, new String[] {"sample", "--model", CliRun.model("digits-unet"), "--n", "1", "--steps", "2", "--out",
        outDir.resolve("c.jpg").toString()}, "--out", "'.jpg' is not an output type");
  }

  @Test
  void aGridTooLargeToHoldIsRefusedUpFront() {
    CliRun r = fails(2, new String[] {"sample", "--model", CliRun.model("digits-unet"), "--n", "10000000", "--batch", "1",
        "--steps", "2", "--device", "cpu", "--out", out()}, "--out", "a grid of 10000000 images", ".npy or a folder");
    assertFalse(r.err().contains("smaller --batch"), r.err());
  }

  @Test
  void timestepsOutsideTheSchedule() throws IOException {
    for (long t : new long[] {-1, 1000, 1L << 62}) {
      fails(2, forward(new long[] {3, t}), "--t timestep " + t, "[0, 1000)", "diffusion_steps");
    }
    CliRun ok = CliRun.of(forward(new long[] {0, 999}));
    assertEquals(0, ok.code(), ok.err());
    Files.delete(outDir.resolve("out.npy"));
  }

  @Test
  void forwardInputIsAFolder() throws IOException {
    String[] args = forward(new long[] {3});
    Path folder = Files.createDirectory(tmp.resolve("x-folder"));
    args[Arrays.asList(args).indexOf("--x") + 1] = folder.toString();
    fails(1, args, "--x " + folder, "is a folder, not a regular file");
  }

  /** A named pipe would block the reader forever; it is refused before it is opened. */
  @Test
  void forwardInputIsANamedPipe() throws Exception {
    Path fifo = tmp.resolve("x.fifo");
    Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assumeTrue(mk.waitFor() == 0, "mkfifo is not available");
    String[] args = forward(new long[] {3});
    args[Arrays.asList(args).indexOf("--x") + 1] = fifo.toString();
    CliRun[] r = new CliRun[1];
    org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60), () -> {
      r[0] = CliRun.of(args);
    });
    assertEquals(1, r[0].code(), r[0].err());
    assertTrue(r[0].err().contains("--x " + fifo) && r[0].err().contains("named pipe"), r[0].err());
  }

  @Test
  void forwardInputWithAnInfinity() throws IOException {
    String[] args = forward(new long[] {3});
    Path x = Path.of(args[Arrays.asList(args).indexOf("--x") + 1]);
    float[] xs = new float[3 * 16 * 16];
    xs[17] = Float.POSITIVE_INFINITY;
    Npy.writeFloats(x, new long[] {1, 3, 16, 16}, xs);
    fails(1, args, "--x " + x, "element 17", "+Infinity");
  }
}
