package org.guidance4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.OutOfDeviceMemoryException;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.Models;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.image.GridCanvas;
import org.guidance4j.image.Images;
import org.guidance4j.nn.adm.AdmClassifier;
import org.guidance4j.sampling.Sampler;
import org.guidance4j.sampling.SamplingRun;

/**
 * `guidance4j compare`: one PNG with a row per guidance method and scale, every row from the same
 * seed and classes, so the trade-off shows at a glance.
 */
final class CompareCommand {
  private CompareCommand() {}

  static Options options() {
    return SamplingFlags.declare(
            new Options(
                "compare",
                "Samples the same seeds and classes under several guidance settings, one row each, into one PNG."))
        .option("rows", "list", "comma-separated METHOD[:SCALE] rows, METHOD none | cfg | apg | pag | auto | classifier", "none,cfg:1.5,cfg:3,cfg:6,auto:2,auto:3")
        .option("class", "list", "the classes of the columns (default: the first 10 classes)", null)
        .option("per-class", "N", "samples of each class per row", "1")
        .option("seed", "N", "seed of the noise (the same in every row)", "0")
        .option("out", "file.png", "the PNG to write", "compare.png");
  }

  record Row(String method, double scale) {
    String label() {
      return method.equals("none") ? "none" : method + " " + scale;
    }
  }

  static int run(String[] args) throws Exception {
    Options o = options().parse(args);
    if (o.bool("help")) {
      System.out.print(o.help());
      return 0;
    }
    Path modelPath = Path.of(o.required("model"));
    Path out = o.path("out");
    if (!out.getFileName().toString().toLowerCase().endsWith(".png")) {
      throw new UsageException("--out must be a .png file, got " + out);
    }
    SampleOutput.of(out); // the folder exists, files can be created there, out is not a folder
    List<Row> rows = rows(o.string("rows"));
    int perClass = SamplingFlags.atLeastOne(o, "per-class");
    SamplingFlags.validate(o);
    int batch = SamplingFlags.batch(o);
    Device device = SamplingFlags.device(o);
    DType dtype = SamplingFlags.dtype(o, device);
    long seed = o.longValue("seed");
    boolean needsGuide = rows.stream().anyMatch(r -> r.method().equals("auto"));
    if (needsGuide && !o.has("guide-model")) {
      throw new UsageException("rows with auto need --guide-model");
    }
    boolean needsClassifier = rows.stream().anyMatch(r -> r.method().equals("classifier"));
    if (needsClassifier && !o.has("classifier")) {
      throw new UsageException("rows with classifier need --classifier");
    }
    try (DiffusionModel model = Models.load(modelPath, device, dtype);
        DiffusionModel guide = needsGuide ? Models.load(o.path("guide-model"), device, dtype) : null;
        AdmClassifier classifier = needsClassifier ? AdmClassifier.load(o.path("classifier"), device, dtype) : null) {
      Sampler sampler = SamplingFlags.sampler(o, model);
      long[] classes = classes(o, model);
      int perRow = classes.length * perClass;
      long[] labels = new long[perRow];
      for (int i = 0; i < perRow; i++) {
        labels[i] = classes[i / perClass];
      }
      long[] shape = model.sampleShape();
      long pixels = GridCanvas.pixels((long) rows.size() * perRow, (int) shape[1], (int) shape[2], perRow);
      if (pixels > SampleOutput.MAX_GRID_PIXELS) {
        throw new UsageException(
            "--out " + out + ": " + rows.size() + " rows of " + perRow + " images would have " + pixels
                + " pixels (the limit is " + SampleOutput.MAX_GRID_PIXELS + "): fewer --rows, --class or --per-class");
      }
      float[] all = new float[Math.toIntExact(rows.size() * perRow * shape[0] * shape[1] * shape[2])];
      List<String> names = new ArrayList<>();
      long start = System.nanoTime();
      for (int r = 0; r < rows.size(); r++) {
        Row row = rows.get(r);
        Guidance g = SamplingFlags.guidance(o, row.method(), row.scale(), model, guide, classifier);
        System.err.println("row " + (r + 1) + "/" + rows.size() + ": " + g.describe());
        try (Tensor s =
            SamplingRun.of(model).sampler(sampler).guidance(g).batch(batch).listener(new ProgressBar(System.err))
                .sample(perRow, model.numClasses() > 0 ? labels : null, seed)) {
          float[] d = s.toFloatArray();
          System.arraycopy(d, 0, all, r * d.length, d.length);
        } catch (OutOfDeviceMemoryException e) {
          throw new CommandFailure(
              e.getMessage() + " (while sampling batches of " + batch + " on " + device + ": try a smaller --batch)", e);
        }
        names.add(row.label());
      }
      long[] gridShape = {(long) rows.size() * perRow, shape[0], shape[1], shape[2]};
      Images.writePng(Images.grid(all, gridShape, perRow, names), out);
      System.out.printf(
          "wrote %d rows x %d images to %s in %.1f s on %s; sampler %s%n",
          rows.size(), perRow, out, (System.nanoTime() - start) / 1e9, SampleCommand.describe(device), sampler.describe());
    }
    return 0;
  }

  static List<Row> rows(String spec) {
    List<Row> rows = new ArrayList<>();
    for (String part : spec.split(",")) {
      String[] ms = part.strip().split(":");
      String method = ms[0];
      if (!List.of("none", "cfg", "apg", "pag", "auto", "classifier").contains(method) || ms.length > 2 || (method.equals("none") && ms.length > 1)) {
        throw new UsageException("--rows: '" + part + "' is not METHOD[:SCALE] with METHOD none, cfg, apg, pag, auto or classifier");
      }
      double scale;
      try {
        scale = ms.length == 2 ? Double.parseDouble(ms[1]) : SamplingFlags.defaultScale(method);
      } catch (NumberFormatException e) {
        throw new UsageException("--rows: bad scale in '" + part + "'");
      }
      rows.add(new Row(method, SamplingFlags.checkScale("--rows '" + part.strip() + "'", scale)));
    }
    return rows;
  }

  private static long[] classes(Options o, DiffusionModel model) {
    if (model.numClasses() == 0) {
      return new long[] {0};
    }
    if (!o.has("class")) {
      int k = Math.min(10, model.numClasses());
      long[] c = new long[k];
      for (int i = 0; i < k; i++) {
        c[i] = i;
      }
      return c;
    }
    List<Long> listed = new ArrayList<>();
    SampleCommand.labels(o, model, 0, listed);
    return listed.stream().mapToLong(Long::longValue).toArray();
  }
}
