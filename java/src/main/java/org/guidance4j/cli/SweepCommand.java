package org.guidance4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.diffusion.AdmModel;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.diffusion.schedule.EdmChurn;
import org.guidance4j.diffusion.schedule.EdmSchedule;
import org.guidance4j.eval.QualityPlot;
import org.guidance4j.eval.QualitySweep;
import org.guidance4j.eval.QualityTable;
import org.guidance4j.eval.RealImages;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.RescaledClassifierFree;
import org.guidance4j.image.Images;
import org.guidance4j.nn.adm.AdmClassifier;
import org.guidance4j.sampling.DiscreteSampler;
import org.guidance4j.sampling.DpmSolverSampler;
import org.guidance4j.sampling.EdmSampler;
import org.guidance4j.sampling.Sampler;

/**
 * `guidance4j sweep`: each guidance method over a list of its weights, measured by the shipped
 * classifier (accuracy on the samples) and a Fréchet distance to held-out real images; writes
 * quality.md (the table) and quality.png (the plot) into --out.
 */
final class SweepCommand {
  private SweepCommand() {}

  static final String DEFAULT_STEPS = "25";

  static Options options() {
    return SamplingFlags.declare(
            new Options(
                "sweep",
                "Measures guidance methods over a sweep of their weights: the classifier's accuracy on the samples\n"
                    + "and the Fréchet distance of its features to held-out real images; writes quality.md and quality.png (and steps.png:\n"
                    + "the samplers at equal numbers of denoiser evaluations)."))
        .option("model", "dir", "the model", "models/digits-unet")
        .option("guide-model", "dir", "the weaker model for autoguidance", "models/digits-unet-weak")
        .option("classifier", "dir", "the noise-aware classifier: classifier guidance, and the judge of every sample", "models/digits-classifier")
        .option("steps", "N", "sampler steps (shorthand for --timestep-respacing ddimN with ddim)", DEFAULT_STEPS)
        .option("batch", "N", "samples per batch", "50")
        .option("heldout", "file.npy", "real images (N, C or 1, H, W) in [-1, 1]", "models/digits-heldout.npy")
        .option("heldout-labels", "file.npy", "their classes, int64 (N)", "models/digits-heldout-labels.npy")
        .option("n", "N", "samples per setting, classes balanced", "300")
        .option("seed", "N", "seed of the noise, the same for every setting", "0")
        .option("cfg-scales", "list", "CFG's gamma values (1 = no guidance); empty to skip", "1.5,2,3,5,8")
        .option("classifier-scales", "list", "classifier guidance's scales (0 = no guidance); empty to skip", "0.5,1,2,4,8")
        .option("auto-scales", "list", "autoguidance's w values (1 = no guidance); empty to skip", "1.5,2,2.5,3,4")
        .option("rescale-scales", "list", "CFG's gamma values with guidance rescale --rescale-phi; empty to skip", "3,5,8")
        .option("rescale-phi", "phi", "the guidance_rescale of the rescale rows", "0.7")
        .option("apg-scales", "list", "APG's w values (with --apg-eta, --apg-norm-threshold, --apg-momentum); empty to skip", "3,5,8")
        .option("pag-scales", "list", "PAG's pag_scale values (on --pag-layers); empty to skip", "1,2,3")
        .option("cfg-pag-scales", "list", "pag_scale values of PAG combined with CFG of gamma --cfg-pag-gamma; empty to skip", "1,2")
        .option("cfg-pag-gamma", "x", "the CFG gamma of the cfg+pag rows", "1.5")
        .option("step-counts", "list", "the step-count comparison: ddim, heun, dpmpp-2m and dpmpp-2m-sde at these numbers of denoiser evaluations; empty to skip", "10,15,25")
        .option("step-guidance", "method:scale", "the guidance of the step-count comparison", "cfg:2")
        .option("step-samplers", "list", "the samplers of the step-count comparison: ddim (x0 clipped as --clip-denoised says), ddim-noclip, heun, dpmpp-2m, dpmpp-2m-sde", "ddim,ddim-noclip,heun,dpmpp-2m,dpmpp-2m-sde")
        .option("out", "dir", "the folder for quality.md, quality.png and steps.png (created if missing)", "models/quality");
  }

  static int run(String[] args) throws Exception {
    Options o = options().parse(args);
    if (o.bool("help")) {
      System.out.print(o.help());
      return 0;
    }
    if (!o.has("steps") && !o.has("timestep-respacing")) {
      o.parse(new String[] {"--steps", DEFAULT_STEPS}); // SamplingFlags reads only given flags
    }
    Path out = o.path("out");
    checkOutput(out);
    int n = o.integer("n");
    if (n < 2) {
      throw new UsageException("--n must be >= 2 (a covariance needs two samples), got " + n);
    }
    SamplingFlags.validate(o);
    int batch = SamplingFlags.batch(o);
    List<Double> cfg = scales(o, "cfg-scales");
    List<Double> cls = scales(o, "classifier-scales");
    List<Double> auto = scales(o, "auto-scales");
    List<Double> rescaled = scales(o, "rescale-scales");
    List<Double> apg = scales(o, "apg-scales");
    List<Double> pag = scales(o, "pag-scales");
    List<Double> cfgPag = scales(o, "cfg-pag-scales");
    List<Integer> stepCounts = stepCounts(o);
    CompareCommand.Row stepGuidance = stepGuidance(o);
    for (String flag : List.of("guidance-rescale", "pag-scale")) {
      if (o.has(flag)) {
        throw new UsageException("sweep: --" + flag + " applies to sample and compare; the sweep has its own rows (--rescale-scales, --cfg-pag-scales)");
      }
    }
    double phi = o.number("rescale-phi");
    if (phi < 0 || phi > 1) {
      throw new UsageException("--rescale-phi must be in [0, 1], got " + o.string("rescale-phi"));
    }
    double cfgPagGamma = o.number("cfg-pag-gamma");
    if (!stepCounts.isEmpty()) {
      for (String name : o.string("step-samplers").split(",")) {
        if (!List.of("ddim", "ddim-noclip", "heun", "dpmpp-2m", "dpmpp-2m-sde").contains(name.strip())) {
          throw new UsageException(
              "--step-samplers: '" + name + "' is not ddim, ddim-noclip, heun, dpmpp-2m or dpmpp-2m-sde");
        }
      }
    }
    Sampler sampler = SamplingFlags.sampler(o);
    Device device = SamplingFlags.device(o);
    DType dtype = SamplingFlags.dtype(o, device);
    long seed = o.longValue("seed");
    long start = System.nanoTime();
    try (DiffusionModel model = AdmModel.load(Path.of(o.required("model")), device, dtype);
        DiffusionModel guide = auto.isEmpty() ? null : AdmModel.load(o.path("guide-model"), device, dtype);
        AdmClassifier classifier = AdmClassifier.load(o.path("classifier"), device, dtype)) {
      RealImages real = RealImages.read(o.path("heldout"), o.path("heldout-labels"), model.sampleShape());
      QualitySweep sweep = new QualitySweep(model, sampler, classifier, real, n, seed, batch).listener(new ProgressBar(System.err));
      List<String> methods = new ArrayList<>();
      List<Double> values = new ArrayList<>();
      methods.add("none");
      values.add(0.0);
      add(methods, values, "cfg", cfg);
      add(methods, values, "classifier", cls);
      add(methods, values, "auto", auto);
      add(methods, values, "cfg-rescale", rescaled);
      add(methods, values, "apg", apg);
      add(methods, values, "pag", pag);
      add(methods, values, "cfg+pag", cfgPag);
      System.err.printf(
          Locale.ROOT, "held-out real images: %d, classifier accuracy %.3f%n", real.count(), sweep.referenceAccuracy());
      List<QualitySweep.Point> points = new ArrayList<>();
      for (int i = 0; i < methods.size(); i++) {
        String m = methods.get(i);
        double s = values.get(i);
        Guidance guidance =
            switch (m) {
              case "cfg-rescale" -> SamplingFlags.interval(o, new RescaledClassifierFree(model, s, phi), model);
              case "cfg+pag" -> SamplingFlags.interval(o, SamplingFlags.pag(o, model, s, cfgPagGamma), model);
              default -> SamplingFlags.guidance(o, m, s, model, guide, classifier);
            };
        QualitySweep.Point p = sweep.measure(m, s, guidance);
        points.add(p);
        System.err.printf(
            Locale.ROOT, "[%d/%d] %s: accuracy %.3f, Fréchet distance %.3f (%.0f s)%n",
            i + 1, methods.size(), guidance.describe(), p.accuracy(), p.frechet(), p.seconds());
      }
      List<QualityTable.StepRow> stepRows = new ArrayList<>();
      Guidance stepG = SamplingFlags.guidance(o, stepGuidance.method(), stepGuidance.scale(), model, guide, classifier);
      for (int nfe : stepCounts) {
        for (StepSampler ss : stepSamplers(o, model, nfe)) {
          QualitySweep.Point p = sweep.measure(ss.name(), nfe, stepG, ss.sampler());
          stepRows.add(new QualityTable.StepRow(ss.name(), ss.steps(), ss.evaluations(), p));
          System.err.printf(
              Locale.ROOT, "[steps] %s, %d denoiser evaluations: accuracy %.3f, Fréchet distance %.3f (%.0f s)%n",
              ss.sampler().describe(), ss.evaluations(), p.accuracy(), p.frechet(), p.seconds());
        }
      }
      double minutes = (System.nanoTime() - start) / 60e9;
      String conditions =
          String.format(
              Locale.ROOT, "n = %d samples per setting (classes balanced), sampler %s, seed %d, %s; %.1f min in all",
              n, sampler.describe(), seed, SampleCommand.describe(device), minutes);
      String table = QualityTable.markdown(points, sweep.referenceAccuracy(), real.count(), sweep.referenceHalves());
      String stepsTable = stepRows.isEmpty() ? "" : QualityTable.stepsMarkdown(stepRows, stepGuidance.label());
      String md =
          "# Guidance quality sweep\n\n"
              + "Made by `" + ("./guidance4j sweep " + String.join(" ", args)).strip() + "`.\n\n"
              + "Conditions: " + conditions + ".\n"
              + "Model " + o.string("model") + ", guide " + o.string("guide-model") + ", judged by " + o.string("classifier")
              + " against " + o.string("heldout") + ".\n\n"
              + table + "\n![accuracy and Fréchet distance against the guidance scale](quality.png)\n"
              + (stepRows.isEmpty()
                  ? ""
                  : "\n## Samplers at equal numbers of denoiser evaluations\n\n"
                      + "The continuous-time samplers run the model's denoiser view on the EDM grid (rho " + o.string("rho")
                      + ", sigma " + o.string("sigma-max") + " down to --sigma-min or the model's smallest trained noise level);"
                      + " Heun's last step is Euler's, so N steps cost 2N - 1 evaluations.\n\n"
                      + stepsTable + "\n![accuracy and Fréchet distance against the number of evaluations](steps.png)\n");
      Files.createDirectories(out);
      Images.writePng(QualityPlot.plot(points, sweep.referenceAccuracy(), sweep.referenceHalves(), conditions), out.resolve("quality.png"));
      if (!stepRows.isEmpty()) {
        List<QualitySweep.Point> stepPoints = new ArrayList<>();
        for (QualityTable.StepRow r : stepRows) {
          QualitySweep.Point p = r.point();
          stepPoints.add(new QualitySweep.Point(r.sampler(), r.evaluations(), p.accuracy(), p.frechet(), p.spread(), p.seconds()));
        }
        Images.writePng(
            QualityPlot.plot(stepPoints, sweep.referenceAccuracy(), sweep.referenceHalves(),
                "guidance " + stepGuidance.label() + "; " + conditions, "denoiser evaluations per sample"),
            out.resolve("steps.png"));
      }
      writeAtomically(out.resolve("quality.md"), md);
      System.out.print(table);
      System.out.print(stepsTable);
      System.out.println("wrote " + out.resolve("quality.md") + " and " + out.resolve("quality.png") + "; " + conditions);
      return 0;
    }
  }

  private static void add(List<String> methods, List<Double> values, String method, List<Double> scales) {
    for (double s : scales) {
      methods.add(method);
      values.add(s);
    }
  }

  /** A sampler of the step-count comparison at a number of denoiser evaluations. */
  record StepSampler(String name, int steps, int evaluations, Sampler sampler) {}

  /**
   * DDIM and DPM-Solver++ (2M, 2M SDE) with {@code nfe} steps, Heun with the fewest steps reaching
   * it (2N - 1 evaluations: N = (nfe + 2) / 2), on the EDM grid from --sigma-max (80) down to
   * --sigma-min, raised for a discrete model to its smallest trained noise level sigma_0 (below it
   * the network's timestep stays 0). A cosine schedule's own largest level (2e4 for 1000 steps)
   * would spend the few steps where nothing but the noise's scale changes.
   */
  static List<StepSampler> stepSamplers(Options o, DiffusionModel model, int nfe) {
    double sigmaMin = model.discrete() ? Math.max(o.number("sigma-min"), model.diffusion().sigma(0)) : o.number("sigma-min");
    double sigmaMax = o.number("sigma-max");
    double rho = o.number("rho");
    int heunSteps = (nfe + 2) / 2;
    EdmSchedule grid = new EdmSchedule(sigmaMin, sigmaMax, rho, nfe);
    List<StepSampler> out = new ArrayList<>();
    for (String name : o.string("step-samplers").split(",")) {
      switch (name.strip()) {
        case "ddim", "ddim-noclip" -> {
          if (model.discrete()) {
            boolean clip = name.strip().equals("ddim") && o.bool("clip-denoised");
            out.add(new StepSampler(name.strip(), nfe, nfe, DiscreteSampler.ddim("ddim" + nfe, clip, 0)));
          }
        }
        case "heun" -> out.add(new StepSampler(
            "heun", heunSteps, 2 * heunSteps - 1,
            new EdmSampler(true, new EdmSchedule(sigmaMin, sigmaMax, rho, heunSteps), EdmChurn.EDM2_DEFAULTS)));
        case "dpmpp-2m" -> out.add(new StepSampler("dpmpp-2m", nfe, nfe, DpmSolverSampler.ode(grid)));
        case "dpmpp-2m-sde" -> out.add(new StepSampler(
            "dpmpp-2m-sde", nfe, nfe, DpmSolverSampler.sde(grid, 1.0, 1.0, DpmSolverSampler.SolverType.MIDPOINT)));
        default -> throw new UsageException(
            "--step-samplers: '" + name + "' is not ddim, ddim-noclip, heun, dpmpp-2m or dpmpp-2m-sde");
      }
    }
    return out;
  }

  static List<Integer> stepCounts(Options o) {
    List<Integer> out = new ArrayList<>();
    for (double d : scales(o, "step-counts")) {
      if (d < 2 || d != Math.rint(d)) {
        throw new UsageException("--step-counts: whole numbers >= 2, got '" + o.string("step-counts") + "'");
      }
      out.add((int) d);
    }
    return out;
  }

  static CompareCommand.Row stepGuidance(Options o) {
    List<CompareCommand.Row> rows = CompareCommand.rows(o.string("step-guidance"));
    if (rows.size() != 1) {
      throw new UsageException("--step-guidance takes one METHOD:SCALE, got '" + o.string("step-guidance") + "'");
    }
    return rows.getFirst();
  }

  static List<Double> scales(Options o, String flag) {
    String spec = o.string(flag).strip();
    if (spec.isEmpty()) {
      return List.of();
    }
    List<Double> out = o.numbers(flag);
    for (double s : out) {
      if (!Double.isFinite(s) || s < 0) {
        throw new UsageException("--" + flag + ": scales must be finite and >= 0, got '" + spec + "'");
      }
    }
    return out;
  }

  /** Fails before the (long) sweep when the results could not be written. */
  private static void checkOutput(Path out) {
    Path abs = out.toAbsolutePath();
    Path dir = Files.isDirectory(abs) ? abs : abs.getParent();
    if (Files.exists(abs) && !Files.isDirectory(abs)) {
      throw new UsageException("--out " + out + ": exists and is not a folder");
    }
    if (dir == null || !Files.isDirectory(dir)) {
      throw new UsageException("--out " + out + ": the folder " + dir + " does not exist");
    }
    SampleOutput.probeWritable("--out " + out, dir);
  }

  private static void writeAtomically(Path target, String text) throws IOException {
    Path abs = target.toAbsolutePath();
    // not Files.createTempFile: its 0600 permissions would survive the rename
    Path tmp = abs.resolveSibling("." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
