package org.guidance4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.io.ModelFiles;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;
import org.guidance4j.nn.adm.AdmClassifier;
import org.guidance4j.nn.adm.AdmConfig;
import org.guidance4j.nn.adm.AdmUNet;

/** `guidance4j forward`: one network evaluation on .npy inputs, optionally timed. */
final class ForwardCommand {
  private ForwardCommand() {}

  static Options options() {
    return new Options("forward", "Runs a network once on .npy inputs and writes its output as .npy.")
        .option("model", "dir", "a folder with config.json and one .safetensors file (or the .safetensors with config.json beside it)", null)
        .option("x", "x.npy", "input images (N, C, H, W) float32 or float64", null)
        .option("t", "t.npy", "timestep indices (N) int64", null)
        .option("y", "y.npy", "class labels (N) int64, for class-conditional models", null)
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
    Device device = SamplingFlags.device(o);
    DType dtype = SamplingFlags.dtype(o, device);
    int bench = o.integer("bench");
    if (bench < 0) {
      throw new UsageException("--bench must be >= 0, got " + bench);
    }
    if (out.toAbsolutePath().getParent() == null || !Files.isDirectory(out.toAbsolutePath().getParent())) {
      throw new UsageException("--out " + out + ": the folder does not exist");
    }
    NpyArray x = Npy.read(Path.of(o.required("x")));
    float[] t = toFloats(Npy.read(Path.of(o.required("t"))).toLongArray());
    long[] y = o.has("y") ? Npy.read(o.path("y")).toLongArray() : null;
    String kind = ModelFiles.resolve(model).readConfig().kind();
    try (Tensor xt = Tensor.fromArray(device, x.toFloatArray(), x.shape())) {
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

  private interface Net extends AutoCloseable {
    Tensor forward(Tensor x, float[] t, long[] y);

    @Override
    void close();
  }

  private static Net load(String kind, Path model, Device device, DType dtype, boolean grad, long[] y) throws Exception {
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

  static float[] toFloats(long[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = v[i];
    }
    return f;
  }
}
