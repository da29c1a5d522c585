package org.guidance4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongUnaryOperator;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.NonFinite;
import org.guidance4j.core.NonFiniteInputException;
import org.guidance4j.core.OutOfDeviceMemoryException;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.Models;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.guidance.Guidance;
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
    int n = SamplingFlags.atLeastOne(o, "n");
    Integer columns = o.has("columns") ? SamplingFlags.atLeastOne(o, "columns") : null;
    SamplingFlags.validate(o);
    String method = o.string("guidance");
    double scale = scale(o, method);
    SamplingFlags.checkMethodFlags(o, method);
    Device device = SamplingFlags.device(o);
    DType dtype = SamplingFlags.dtype(o, device);
    long seed = o.longValue("seed");
    int batch = SamplingFlags.batch(o);
    NpyArray initNoise = o.has("init-noise") ? InputFiles.npy(o, "init-noise") : null;
    try (DiffusionModel model = Models.load(modelPath, device, dtype);
        DiffusionModel guide = o.has("guide-model") ? Models.load(o.path("guide-model"), device, dtype) : null;
        AdmClassifier classifier = o.has("classifier") ? AdmClassifier.load(o.path("classifier"), device, dtype) : null) {
      Sampler sampler = SamplingFlags.sampler(o, model);
      List<Long> listed = new ArrayList<>();
      LongUnaryOperator labels = labels(o, model, seed, listed);
      Guidance guidance = SamplingFlags.guidance(o, method, scale, model, guide, classifier);
      long[] shape = model.sampleShape();
      int cols = columns != null ? columns : listed.isEmpty() || listed.size() > n ? (int) Math.ceil(Math.sqrt(n)) : listed.size();
      out.checkCapacity(n, shape, cols);
      SamplingRun run = SamplingRun.of(model).sampler(sampler).guidance(guidance).batch(batch).listener(new ProgressBar(System.err));
      long start = System.nanoTime();
      try (Tensor x = initNoise == null ? null : initialNoise(o, initNoise, n, shape);
          SampleOutput.Writer writer = out.open(n, shape, cols)) {
        if (x != null) {
          run.initialNoise(x);
        }
        try {
          run.stream(n, labels, seed, writer::accept);
        } catch (OutOfDeviceMemoryException e) {
          throw new CommandFailure(
              e.getMessage() + " (while sampling batches of " + batch + " on " + device + ": try a smaller --batch)", e);
        }
        writer.commit();
      }
      double secs = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "wrote %d images to %s in %.1f s (%.2f images/s) on %s; guidance %s, sampler %s%n",
          n, out.path(), secs, n / secs, describe(device), guidance.describe(), sampler.describe());
      return 0;
    }
  }

  /** --init-noise as a CPU tensor: the shape the run needs (a usage error otherwise), finite values only. */
  private static Tensor initialNoise(Options o, NpyArray noise, int n, long[] shape) {
    long[] want = {n, shape[0], shape[1], shape[2]};
    if (!Arrays.equals(noise.shape(), want)) {
      throw new UsageException(
          "--init-noise " + o.string("init-noise") + ": shape " + Arrays.toString(noise.shape())
              + ", expected " + Arrays.toString(want) + " (--n, then the model's C, H, W)");
    }
    float[] values = noise.toFloatArray();
    long bad = NonFinite.firstIndex(values);
    if (bad >= 0) {
      throw new NonFiniteInputException("--init-noise " + o.string("init-noise"), noise.shape(), bad, values[(int) bad]);
    }
    return Tensor.fromArray(Device.cpu(), values, noise.shape());
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
      return 1 + SamplingFlags.checkScale("--cfg-w", o.number("cfg-w"));
    }
    double s = o.has("scale") ? SamplingFlags.checkScale("--scale", o.number("scale")) : SamplingFlags.defaultScale(method);
    if (o.has("scale") && method.equals("none")) {
      throw new UsageException("--scale needs a guidance method: add --guidance cfg, apg, pag, auto or classifier");
    }
    return s;
  }

  /**
   * The label of each sample, produced as the batches ask for them (nothing of size --n is held):
   * the --class list cycled, or seeded random classes (a sequence, asked in order). Null for an
   * unconditional model. The listed classes are added to {@code listed}.
   */
  static LongUnaryOperator labels(Options o, DiffusionModel model, long seed, List<Long> listed) {
    if (model.numClasses() == 0) {
      if (o.has("class")) {
        throw new UsageException("--class: this model is unconditional");
      }
      return null;
    }
    String spec = o.string("class");
    if (spec.equals("random")) {
      SplittableRandom r = new SplittableRandom(seed);
      int classes = model.numClasses();
      return new LongUnaryOperator() {
        private long next;

        @Override
        public long applyAsLong(long i) {
          if (i != next) {
            throw new IllegalStateException("random labels are drawn in order: asked for " + i + ", next is " + next);
          }
          next++;
          return r.nextInt(classes);
        }
      };
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
    long[] cycle = listed.stream().mapToLong(Long::longValue).toArray();
    return i -> cycle[(int) (i % cycle.length)];
  }
}
