package org.guidance4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.Models;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;
import org.guidance4j.nn.adm.AdmClassifier;
import org.guidance4j.sampling.Sampler;
import org.guidance4j.sampling.SamplingRun;

/** `guidance4j sample`: class-conditional samples with guidance, as a PNG grid, PNG files or .npy. */
final class SampleCommand {
  private SampleCommand() {}

  static Options options() {
    return SamplingFlags.declare(
            new Options("sample", "Draws samples from a diffusion model, with guidance."))
        .option("guidance", "method", "none | cfg | apg | pag | classifier | auto", "none")
        .option("scale", "x", "weight of the guided direction: CFG's gamma = 1 + w, APG's w (as CFG's), PAG's pag_scale, autoguidance's w, the classifier scale (defaults: cfg, apg, pag 3, auto 2, classifier 1)", null)
        .option("cfg-w", "w", "Ho & Salimans' CFG weight w instead of --scale (gamma = 1 + w)", null)
        .option("n", "N", "number of samples", "16")
        .option("class", "list", "class labels, cycled over the samples (e.g. 0,1,2), or random", "random")
        .option("seed", "N", "seed of the noise: sample i's noise depends only on (seed, i)", "0")
        .option("init-noise", "file.npy", "initial noise x_T (N, C, H, W) float32, unit variance, instead of the seeded noise", null)
        .option("columns", "N", "images per row of a PNG grid (default: the number of listed classes, or sqrt(n))", null)
        .option("out", "path", "a .png grid, a .npy of raw samples in [-1, 1], or a new folder of PNGs", "samples.png");
  }

  static int run(String[] args) throws Exception {
    Options o = options().parse(args);
    if (o.bool("help")) {
      System.out.print(o.help());
      return 0;
    }
    Path modelPath = Path.of(o.required("model"));
    SampleOutput out = SampleOutput.of(o.path("out"));
    int n = o.integer("n");
    if (n < 1) {
      throw new UsageException("--n must be >= 1, got " + n);
    }
    String method = o.string("guidance");
    double scale = scale(o, method);
    SamplingFlags.checkMethodFlags(o, method);
    Device device = SamplingFlags.device(o);
    DType dtype = SamplingFlags.dtype(o, device);
    long seed = o.longValue("seed");
    int batch = o.integer("batch");
    if (batch < 1) {
      throw new UsageException("--batch must be >= 1, got " + batch);
    }
    try (DiffusionModel model = Models.load(modelPath, device, dtype);
        DiffusionModel guide = o.has("guide-model") ? Models.load(o.path("guide-model"), device, dtype) : null;
        AdmClassifier classifier = o.has("classifier") ? AdmClassifier.load(o.path("classifier"), device, dtype) : null) {
      Sampler sampler = SamplingFlags.sampler(o, model);
      List<Long> listed = new ArrayList<>();
      long[] labels = labels(o, model, n, seed, listed);
      Guidance guidance = SamplingFlags.guidance(o, method, scale, model, guide, classifier);
      SamplingRun run = SamplingRun.of(model).sampler(sampler).guidance(guidance).batch(batch).listener(new ProgressBar(System.err));
      long start = System.nanoTime();
      Tensor samples;
      if (o.has("init-noise")) {
        NpyArray noise = Npy.read(o.path("init-noise"));
        long[] shape = model.sampleShape();
        long[] want = {n, shape[0], shape[1], shape[2]};
        if (!java.util.Arrays.equals(noise.shape(), want)) {
          throw new UsageException(
              "--init-noise " + o.string("init-noise") + ": shape " + java.util.Arrays.toString(noise.shape())
                  + ", expected " + java.util.Arrays.toString(want) + " (--n, then the model's C, H, W)");
        }
        try (Tensor x = Tensor.fromArray(Device.cpu(), noise.toFloatArray(), noise.shape())) {
          samples = run.initialNoise(x).sample(n, labels, seed);
        }
      } else {
        samples = run.sample(n, labels, seed);
      }
      double secs = (System.nanoTime() - start) / 1e9;
      try (samples) {
        int columns = o.has("columns") ? o.integer("columns") : listed.isEmpty() || listed.size() > n ? (int) Math.ceil(Math.sqrt(n)) : listed.size();
        out.write(samples.toFloatArray(), samples.shape(), Math.max(1, columns));
      }
      System.out.printf(
          "wrote %d images to %s in %.1f s (%.2f images/s) on %s; guidance %s, sampler %s%n",
          n, out.path(), secs, n / secs, describe(device), guidance.describe(), sampler.describe());
      return 0;
    }
  }

  static String describe(Device device) {
    return device.isCpu() ? "cpu (" + Device.cpuThreads() + " threads)" : device.toString();
  }

  static double scale(Options o, String method) {
    if (o.has("cfg-w")) {
      if (o.has("scale")) {
        throw new UsageException("give --scale or --cfg-w, not both");
      }
      if (!method.equals("cfg")) {
        throw new UsageException("--cfg-w is the weight of classifier-free guidance: use it with --guidance cfg");
      }
      return 1 + o.number("cfg-w");
    }
    double s = o.has("scale") ? o.number("scale") : SamplingFlags.defaultScale(method);
    if (s < 0) {
      throw new UsageException("--scale must be >= 0, got " + s);
    }
    if (o.has("scale") && method.equals("none")) {
      throw new UsageException("--scale needs a guidance method: add --guidance cfg, apg, pag, auto or classifier");
    }
    return s;
  }

  /** One label per sample: the --class list cycled, or seeded random classes. */
  static long[] labels(Options o, DiffusionModel model, int n, long seed, List<Long> listed) {
    if (model.numClasses() == 0) {
      if (o.has("class")) {
        throw new UsageException("--class: this model is unconditional");
      }
      return null;
    }
    String spec = o.string("class");
    long[] labels = new long[n];
    if (spec.equals("random")) {
      SplittableRandom r = new SplittableRandom(seed);
      for (int i = 0; i < n; i++) {
        labels[i] = r.nextInt(model.numClasses());
      }
      return labels;
    }
    for (String p : spec.split(",")) {
      long c;
      try {
        c = Long.parseLong(p.strip());
      } catch (NumberFormatException e) {
        throw new UsageException("--class must be comma-separated class numbers or random, got '" + spec + "'");
      }
      if (c < 0 || c >= model.numClasses()) {
        throw new UsageException("--class " + c + " is out of range: this model has classes 0.." + (model.numClasses() - 1));
      }
      listed.add(c);
    }
    for (int i = 0; i < n; i++) {
      labels[i] = listed.get(i % listed.size());
    }
    return labels;
  }
}
