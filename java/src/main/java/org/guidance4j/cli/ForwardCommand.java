package org.guidance4j.cli;

import java.nio.file.Path;
import java.util.Arrays;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.NonFinite;
import org.guidance4j.core.NonFiniteInputException;
import org.guidance4j.core.Tensor;
import org.guidance4j.io.ModelConfig;
import org.guidance4j.io.ModelFiles;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;
import org.guidance4j.nn.adm.AdmClassifier;
import org.guidance4j.nn.adm.AdmConfig;
import org.guidance4j.nn.adm.AdmUNet;
import org.guidance4j.nn.edm2.Edm2Config;
import org.guidance4j.nn.edm2.Edm2Denoiser;

/** `guidance4j forward`: one network evaluation on .npy inputs, optionally timed. */
final class ForwardCommand {
  private ForwardCommand() {}

  static Options options() {
    return new Options("forward", "Runs a network once on .npy inputs and writes its output as .npy (guided-diffusion: --t; EDM2: --sigma).")
        .option("model", "dir", "a folder with config.json and one .safetensors file (or the .safetensors with config.json beside it)", null)
        .option("x", "x.npy", "input images (N, C, H, W) float32 or float64", null)
        .option("t", "t.npy", "timestep indices (N) int64 (guided-diffusion models)", null)
        .option("sigma", "sigma.npy", "noise levels (N) float32 or float64, one per sample (EDM2 models, in place of --t);"
            + " x is then in EDM scaling (x = y + sigma n) and the output is the denoised D(x; sigma, y)", null)
        .option("y", "y.npy", "class labels (N) int64, for class-conditional models (an EDM2 model without --y gets"
            + " EDM2's all-zero class vector)", null)
        .option("out", "out.npy", "where to write the output (float32)", null)
        .flag("grad", "for a classifier: write d/dx of sum_i log_softmax(logits_i)[y_i] (needs --y) instead of the logits")
        .option("device", "name", "cpu | cuda | cuda:N | auto", "cpu")
        .option("dtype", "name", "f32 | f16 | bf16 (f16/bf16 on CUDA only)", "f32")
        .option("bench", "N", "after a warm-up run the forward N more times and print the median time", "0");
  }

  static int run(String[] args) throws Exception {
    Options o = options().parse(args);
    if (o.bool("help")) {
      System.out.print(o.help());
      return 0;
    }
    Path model = Path.of(o.required("model"));
    Path out = Path.of(o.required("out"));
    if (!out.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".npy")) {
      throw new UsageException("--out must be a .npy file, got " + out);
    }
    SampleOutput.of(out); // the folder exists and takes new files; out is not a folder
    Device device = SamplingFlags.device(o);
    DType dtype = SamplingFlags.dtype(o, device);
    int bench = o.integer("bench");
    if (bench < 0) {
      throw new UsageException("--bench must be >= 0, got " + bench);
    }
    o.required("x");
    NpyArray x = InputFiles.npy(o, "x");
    float[] xValues = x.toFloatArray();
    long bad = NonFinite.firstIndex(xValues);
    if (bad >= 0) {
      throw new NonFiniteInputException("--x " + o.string("x"), x.shape(), bad, xValues[(int) bad]);
    }
    ModelConfig config = ModelFiles.resolve(model).readConfig();
    String kind = config.kind();
    boolean edm2 = Edm2Config.KIND.equals(kind);
    long[] y = o.has("y") ? InputFiles.npy(o, "y").toLongArray() : null;
    float[] t;
    if (edm2) {
      if (!o.has("sigma")) {
        throw new UsageException("forward: " + model + " is an EDM2 model: give --sigma sigma.npy (one noise level per sample), not --t");
      }
      if (o.has("t")) {
        throw new UsageException("forward: --t is for guided-diffusion models; an EDM2 model takes --sigma only");
      }
      t = InputFiles.npy(o, "sigma").toFloatArray();
      checkEdm2Inputs(model, x, t, y);
    } else {
      if (o.has("sigma")) {
        throw new UsageException("forward: --sigma is for EDM2 models; " + model + " is " + kind + ": give --t timesteps");
      }
      o.required("t");
      long[] steps = InputFiles.npy(o, "t").toLongArray();
      checkAdmInputs(config, x, steps, y, o.bool("grad"));
      t = toFloats(steps);
    }
    try (Tensor xt = Tensor.fromArray(device, xValues, x.shape())) {
      Net net = load(kind, model, device, dtype, o.bool("grad"), y);
      try (net) {
        Tensor result = net.forward(xt, t, y);
        try (result) {
          float[] data = result.toFloatArray();
          Npy.writeFloats(out, result.shape(), data);
        }
        if (bench > 0) {
          double[] ms = new double[bench];
          for (int i = 0; i < bench; i++) {
            long start = System.nanoTime();
            try (Tensor r = net.forward(xt, t, y)) {
              device.synchronize();
            }
            ms[i] = (System.nanoTime() - start) / 1e6;
          }
          Arrays.sort(ms);
          System.out.printf("median %.1f ms/forward%n", ms[bench / 2]);
        }
      }
    }
    return 0;
  }

  /**
   * The inputs of a guided-diffusion network against its config, before it loads: x's shape,
   * one timestep per sample inside the model's schedule [0, diffusion_steps), labels in range.
   */
  private static void checkAdmInputs(ModelConfig config, NpyArray x, long[] t, long[] y, boolean grad) {
    AdmConfig c = AdmConfig.from(config);
    long n = x.shape().length > 0 ? x.shape()[0] : 0;
    long[] want = {n, c.inChannels(), c.imageSize(), c.imageSize()};
    if (!Arrays.equals(x.shape(), want) || n == 0) {
      throw new UsageException("forward: --x has shape " + Arrays.toString(x.shape()) + ", the model takes " + Arrays.toString(want));
    }
    if (t.length != n) {
      throw new UsageException("forward: --t has " + t.length + " timesteps for " + n + " samples");
    }
    int steps = config.getInt("diffusion_steps", 1000);
    for (long step : t) {
      if (step < 0 || step >= steps) {
        throw new UsageException(
            "forward: --t timestep " + step + " is outside the model's schedule [0, " + steps + ") (diffusion_steps "
                + steps + " in " + config.source() + ")");
      }
    }
    if (y == null) {
      return;
    }
    if (y.length != n) {
      throw new UsageException("forward: --y has " + y.length + " labels for " + n + " samples");
    }
    long classes = AdmConfig.CLASSIFIER.equals(c.kind()) ? c.outChannels() : c.labelRows();
    if (classes == 0) {
      throw new UsageException("forward: " + config.source() + " describes an unconditional model: drop --y");
    }
    for (long label : y) {
      if (label < 0 || label >= classes) {
        throw new UsageException("forward: --y label " + label + " is outside [0, " + classes + ")");
      }
    }
  }

  private interface Net extends AutoCloseable {
    Tensor forward(Tensor x, float[] t, long[] y);

    @Override
    void close();
  }

  private static Net load(String kind, Path model, Device device, DType dtype, boolean grad, long[] y) throws Exception {
    if (Edm2Config.KIND.equals(kind)) {
      if (grad) {
        throw new UsageException("--grad applies to classifiers (kind adm_classifier), not to " + kind);
      }
      Edm2Denoiser d = Edm2Denoiser.load(model, device, dtype);
      return new Net() {
        public Tensor forward(Tensor x, float[] sigma, long[] labels) {
          return d.forward(x, sigma, labels);
        }

        public void close() {
          d.close();
        }
      };
    }
    if (AdmConfig.CLASSIFIER.equals(kind)) {
      if (grad && y == null) {
        throw new UsageException("--grad needs --y: the labels whose log-probability is differentiated");
      }
      AdmClassifier c = AdmClassifier.load(model, device, dtype);
      return new Net() {
        public Tensor forward(Tensor x, float[] t, long[] labels) {
          return grad ? c.inputGradient(x, t, labels) : c.forward(x, t);
        }

        public void close() {
          c.close();
        }
      };
    }
    if (grad) {
      throw new UsageException("--grad applies to classifiers (kind adm_classifier), not to " + kind);
    }
    AdmUNet u = AdmUNet.load(model, device, dtype);
    return new Net() {
      public Tensor forward(Tensor x, float[] t, long[] labels) {
        return u.forward(x, t, labels);
      }

      public void close() {
        u.close();
      }
    };
  }

  /** Lengths, sigma values and labels of an EDM2 forward, checked before the model loads. */
  private static void checkEdm2Inputs(Path model, NpyArray x, float[] sigma, long[] y) throws Exception {
    Edm2Config c = Edm2Config.from(ModelFiles.resolve(model).readConfig());
    long n = x.shape().length > 0 ? x.shape()[0] : 0;
    long[] want = {n, c.imgChannels(), c.imgResolution(), c.imgResolution()};
    if (!Arrays.equals(x.shape(), want) || n == 0) {
      throw new UsageException("forward: --x has shape " + Arrays.toString(x.shape()) + ", the model takes " + Arrays.toString(want));
    }
    if (sigma.length != n) {
      throw new UsageException("forward: --sigma has " + sigma.length + " values for " + n + " samples");
    }
    for (float s : sigma) {
      if (!(s > 0) || Float.isInfinite(s)) {
        throw new UsageException("forward: --sigma values must be positive and finite, got " + s);
      }
    }
    if (y == null) {
      return;
    }
    if (c.labelDim() == 0) {
      throw new UsageException("forward: " + model + " is unconditional: drop --y");
    }
    if (y.length != n) {
      throw new UsageException("forward: --y has " + y.length + " labels for " + n + " samples");
    }
    for (long label : y) {
      if (label < 0 || label >= c.labelDim()) {
        throw new UsageException("forward: --y label " + label + " is outside [0, " + c.labelDim() + ")");
      }
    }
  }

  static float[] toFloats(long[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = v[i];
    }
    return f;
  }
}
