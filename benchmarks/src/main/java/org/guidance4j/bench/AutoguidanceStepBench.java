package org.guidance4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.diffusion.Models;
import org.guidance4j.guidance.Autoguidance;
import org.guidance4j.io.ModelFiles;
import org.guidance4j.nn.adm.AdmConfig;
import org.guidance4j.sampling.DenoiserView;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Where the time of one autoguidance evaluation goes: the main network's forward, the guiding
 * network's forward, and the whole guided denoiser evaluation (DenoiserView over Autoguidance
 * w = 2, as EdmSampler calls it twice per Heun step: input scaling, both forwards, the fused
 * combination) for B images at sigma = 1 (inside EDM2's guidance interval). The two forwards run
 * one after the other on one stream, so step is about mainForward + guideForward; main / step and
 * guide / step are each network's share.
 *
 * <p>Pairs: DIGITS, the shipped models/digits-unet with models/digits-unet-weak as its guide (the
 * repository root from the system property {@code g4j.bench.root}, which run.sh sets, else the
 * first of the working directory and its parents that holds models/digits-unet);
 * EDM2_IMG64_QUARTER, edm2-img64-s guided by edm2-img64-xs (EDM2's img64 autoguidance preset) at
 * a quarter of the width ({@link Edm2Net}), random weights ({@link Edm2RandomCheckpoint}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class AutoguidanceStepBench {
  @Param({"cpu", "cuda"})
  public String device;

  @Param({"F32"})
  public String dtype;

  @Param({"DIGITS", "EDM2_IMG64_QUARTER"})
  public String pair;

  @Param({"1", "8"})
  public int batch;

  static final double SIGMA = 1.0;
  static final double SCALE = 2.0;

  enum Pair {
    DIGITS,
    EDM2_IMG64_QUARTER;

    Path main() throws IOException {
      return switch (this) {
        case DIGITS -> root().resolve("models/digits-unet");
        case EDM2_IMG64_QUARTER -> Edm2RandomCheckpoint.ensure(Edm2Net.IMG64_S_QUARTER);
      };
    }

    Path guide() throws IOException {
      return switch (this) {
        case DIGITS -> root().resolve("models/digits-unet-weak");
        case EDM2_IMG64_QUARTER -> Edm2RandomCheckpoint.ensure(Edm2Net.IMG64_XS_QUARTER);
      };
    }

    /** FLOPs of one image's forward of the main (guide false) or the guiding network. */
    double flopsPerImage(boolean guide) throws IOException {
      return switch (this) {
        case DIGITS ->
            AdmWalk.of(AdmConfig.from(ModelFiles.resolve(guide ? guide() : main()).readConfig())).flopsPerImage();
        case EDM2_IMG64_QUARTER ->
            Edm2Walk.of((guide ? Edm2Net.IMG64_XS_QUARTER : Edm2Net.IMG64_S_QUARTER).edm2Config()).flopsPerImage();
      };
    }
  }

  private Bench b;
  private DiffusionModel main;
  private DiffusionModel guide;
  private DenoiserView view;
  private Tensor x;
  private Tensor xVp;
  private float[] noiseInputs;
  private long[] labels;

  @Setup
  public void setup() throws IOException {
    b = new Bench(device, dtype);
    Pair p = Pair.valueOf(pair);
    main = Models.load(p.main(), b.device, b.dtype);
    guide = Models.load(p.guide(), b.device, b.dtype);
    view = DenoiserView.of(main, new Autoguidance(main, guide, SCALE));
    long[] s = main.sampleShape();
    x = b.randn(batch, s[0], s[1], s[2]);
    xVp = b.keep(Ops.scale(x, (float) (1 / Math.sqrt(1 + SIGMA * SIGMA))));
    noiseInputs = new float[batch];
    labels = new long[batch];
    for (int i = 0; i < batch; i++) {
      noiseInputs[i] = main.noiseInput(SIGMA);
      labels[i] = (37L * i + 11) % main.numClasses();
    }
  }

  @TearDown
  public void tearDown() {
    b.close();
    main.close();
    guide.close();
  }

  @Benchmark
  public long mainForward() {
    try (Tensor out = main.forward(xVp, noiseInputs, labels)) {
      b.sync();
      return out.numel();
    }
  }

  @Benchmark
  public long guideForward() {
    try (Tensor out = guide.forward(xVp, noiseInputs, guide.numClasses() > 0 ? labels : null)) {
      b.sync();
      return out.numel();
    }
  }

  @Benchmark
  public long step() {
    try (Tensor d = view.denoise(x, SIGMA, labels)) {
      b.sync();
      return d.numel();
    }
  }

  /** The repository root: -Dg4j.bench.root, else the working directory or a parent holding the models. */
  static Path root() {
    String prop = System.getProperty("g4j.bench.root");
    if (prop != null) {
      return Path.of(prop);
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("models/digits-unet/config.json"))) {
        return d;
      }
    }
    throw new IllegalStateException(
        "models/digits-unet not found: run from the repository or pass -Dg4j.bench.root=<repository root>");
  }

  static Work work(String method, Map<String, String> p) {
    double batch = Integer.parseInt(p.get("batch"));
    Pair pair = Pair.valueOf(p.get("pair"));
    double main;
    double guide;
    try {
      main = pair.flopsPerImage(false);
      guide = pair.flopsPerImage(true);
    } catch (IOException | RuntimeException e) {
      return null; // the shipped models are not reachable from here: times only
    }
    return switch (method) {
      case "mainForward" -> Work.network(batch * main, batch, "B x F_main (AdmWalk / Edm2Walk)");
      case "guideForward" -> Work.network(batch * guide, batch, "B x F_guide (AdmWalk / Edm2Walk)");
      default -> Work.network(batch * (main + guide), batch, "B x (F_main + F_guide): one guided evaluation");
    };
  }
}
