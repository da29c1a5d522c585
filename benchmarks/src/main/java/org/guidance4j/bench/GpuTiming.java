package org.guidance4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.GuidedStepCoefficients;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.core.VendorPath;
import org.guidance4j.diffusion.AdmModel;
import org.guidance4j.diffusion.schedule.DdimStep;
import org.guidance4j.diffusion.schedule.DiscreteDiffusion;
import org.guidance4j.diffusion.schedule.Prediction;
import org.guidance4j.diffusion.schedule.Respacing;
import org.guidance4j.diffusion.schedule.StepCoefficients;
import org.guidance4j.guidance.ClassifierFree;
import org.guidance4j.guidance.GuidedOutput;
import org.guidance4j.io.Json;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;
import org.guidance4j.sampling.Noise;

/**
 * The Java half of the GPU check (benchmarks/gpu-check): on a model directory that the Python half
 * wrote (PyTorch's weights, with a null-class row, and check/{x,t,y,out}.npy from PyTorch in
 * float32), for each dtype and each conv/GEMM path (vendor libraries on or off): the output's
 * relative L2 error against PyTorch's, the median forward time at each batch, and one
 * classifier-free-guided DDIM step of B images against a forward of 2B (CfgStepBench's step).
 * The calls each path served are counted (VendorPath.counts), so the figures say which one ran.
 * The JSON file is rewritten after every figure: a run cut short keeps what it measured.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar org.guidance4j.bench.GpuTiming DIR \
 *     --json OUT.json [--device cuda] [--dtypes F32,BF16,F16] [--batches 1,16,64] [--vendor on,off]
 *     [--warmup 2] [--repeats 5] [--cfg-batch 16]
 * </pre>
 */
public final class GpuTiming {
  private GpuTiming() {}

  private static final int STEP = 125;

  public static void main(String[] args) throws IOException {
    if (args.length < 1 || args[0].startsWith("-")) {
      System.err.println("usage: GpuTiming MODEL_DIR --json OUT.json [--device cuda] [--dtypes F32,BF16,F16]"
          + " [--batches 1,16,64] [--vendor on,off] [--warmup 2] [--repeats 5] [--cfg-batch 16]");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    Map<String, String> opt = new LinkedHashMap<>(Map.of("device", "cuda", "dtypes", "F32,BF16,F16",
        "batches", "1,16,64", "vendor", "on,off", "warmup", "2", "repeats", "5", "cfg-batch", "16", "json", ""));
    for (int i = 1; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--") || !opt.containsKey(args[i].substring(2))) {
        throw new IllegalArgumentException("unknown option " + args[i]);
      }
      opt.put(args[i].substring(2), args[i + 1]);
    }
    if (opt.get("json").isEmpty()) {
      throw new IllegalArgumentException("--json OUT.json is required");
    }
    Path json = Path.of(opt.get("json"));
    Device device = Bench.open(opt.get("device"));
    int warmup = Integer.parseInt(opt.get("warmup"));
    int repeats = Integer.parseInt(opt.get("repeats"));
    int cfgBatch = Integer.parseInt(opt.get("cfg-batch"));

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("device", device.toString() + (device.isCpu() ? "" : " " + device.name()));
    result.put("jdk", System.getProperty("java.vm.name") + " " + Runtime.version());
    result.put("vendor_info_default", VendorPath.info().text());
    List<Object> runs = new ArrayList<>();
    result.put("runs", runs);
    for (String dtypeName : opt.get("dtypes").split(",")) {
      DType dtype = DType.valueOf(dtypeName.trim().toUpperCase(Locale.ROOT));
      if (!device.supports(dtype)) {
        runs.add(Map.of("dtype", dtype.toString(), "skipped", device + " does not compute in " + dtype));
        write(json, result);
        continue;
      }
      try (AdmModel model = AdmModel.load(dir, device, dtype)) {
        for (String mode : opt.get("vendor").split(",")) {
          boolean vendor = mode.trim().equals("on");
          VendorPath.setEnabled(vendor);
          Map<String, Object> run = new LinkedHashMap<>();
          run.put("dtype", dtype.toString());
          run.put("vendor", vendor);
          run.put("path", VendorPath.info().text());
          runs.add(run);
          measure(model, device, dir, run, json, result, opt.get("batches"), warmup, repeats, cfgBatch);
        }
      } catch (RuntimeException e) {
        // One dtype failing (out of memory, a kernel error) must not lose the others' figures.
        runs.add(Map.of("dtype", dtype.toString(), "error", String.valueOf(e.getMessage())));
        write(json, result);
        System.err.println("GpuTiming " + dtype + ": " + e);
      }
    }
    VendorPath.setEnabled(true);
    write(json, result);
  }

  private static void measure(AdmModel model, Device device, Path dir, Map<String, Object> run, Path json,
      Map<String, Object> result, String batches, int warmup, int repeats, int cfgBatch) throws IOException {
    VendorPath.Counts before = VendorPath.counts();
    double err = check(model, dir.resolve("check"));
    run.put("check_rel_l2", Double.isFinite(err) ? err : (Object) String.valueOf(err));
    run.put("calls_in_check", delta(before, VendorPath.counts()));
    write(json, result);
    Map<String, Object> forward = new LinkedHashMap<>();
    run.put("forward_ms", forward);
    for (String bs : batches.split(",")) {
      int batch = Integer.parseInt(bs.trim());
      List<Double> times = timeForward(model, device, batch, warmup, repeats);
      forward.put(String.valueOf(batch), Map.of("median", median(times), "times", times));
      System.err.printf(Locale.ROOT, "GpuTiming %s vendor=%s forward B=%d: median %.2f ms%n",
          run.get("dtype"), run.get("vendor"), batch, median(times));
      write(json, result);
    }
    if (cfgBatch > 0) {
      List<Double> step = timeCfgStep(model, device, cfgBatch, warmup, repeats);
      List<Double> twice = timeForward(model, device, 2 * cfgBatch, warmup, repeats);
      run.put("cfg_step", Map.of("batch", cfgBatch, "step_median_ms", median(step), "forward_2b_median_ms",
          median(twice), "step_times", step, "forward_2b_times", twice));
      System.err.printf(Locale.ROOT, "GpuTiming %s vendor=%s CFG step B=%d: %.2f ms, forward of %d: %.2f ms%n",
          run.get("dtype"), run.get("vendor"), cfgBatch, median(step), 2 * cfgBatch, median(twice));
      write(json, result);
    }
  }

  /** Relative L2 error of the model's output against PyTorch's float32 output on the saved inputs. */
  private static double check(AdmModel model, Path check) throws IOException {
    NpyArray x = Npy.read(check.resolve("x.npy"));
    float[] t = Npy.read(check.resolve("t.npy")).toFloatArray();
    long[] y = Npy.read(check.resolve("y.npy")).toLongArray();
    float[] want = Npy.read(check.resolve("out.npy")).toFloatArray();
    float[] got;
    try (Tensor xt = Tensor.fromArray(model.device(), x.toFloatArray(), x.shape());
        Tensor out = model.forward(xt, t, y)) {
      got = out.toFloatArray();
    }
    double num = 0;
    double den = 0;
    for (int i = 0; i < got.length; i++) {
      double d = (double) got[i] - want[i];
      num += d * d;
      den += (double) want[i] * want[i];
    }
    return Math.sqrt(num / den);
  }

  private static List<Double> timeForward(AdmModel model, Device device, int batch, int warmup, int repeats) {
    float[] ts = new float[batch];
    long[] ys = labels(model, batch);
    java.util.Arrays.fill(ts, 500f);
    List<Double> times = new ArrayList<>();
    long s = model.sampleShape()[1];
    // ADM's own input dtype; AdmUNet.forward would convert an F32 input on every call
    try (Tensor x = Ops.randn(device, model.network().dtype(), 1, 1, 0, batch, 3, s, s)) {
      for (int i = 0; i < warmup + repeats; i++) {
        long t0 = System.nanoTime();
        try (Tensor out = model.forward(x, ts, ys)) {
          device.synchronize();
        }
        if (i >= warmup) {
          times.add((System.nanoTime() - t0) / 1e6);
        }
      }
    }
    return times;
  }

  /** CfgStepBench's step: one forward of 2B, the noise, the fused guided DDIM update. */
  private static List<Double> timeCfgStep(AdmModel model, Device device, int batch, int warmup, int repeats) {
    ClassifierFree guidance = new ClassifierFree(model, 4.0);
    Respacing r = Respacing.of(model.diffusion().betas(), "250");
    DiscreteDiffusion d = r.diffusion();
    float t = (float) r.networkTimestep(STEP, false);
    double sigma = d.sigma(STEP);
    StepCoefficients c = DdimStep.of(d, STEP, Prediction.EPSILON, 1.0);
    long[] shape = {batch, 3, model.sampleShape()[1], model.sampleShape()[2]};
    long[] ys = labels(model, batch);
    List<Double> times = new ArrayList<>();
    try (Tensor x = Ops.randn(device, model.network().dtype(), 3, 1, 0, shape);
        Tensor out = Tensor.empty(device, model.network().dtype(), shape)) {
      for (int i = 0; i < warmup + repeats; i++) {
        long t0 = System.nanoTime();
        try (GuidedOutput g = guidance.evaluate(x, t, sigma, ys);
            Tensor z = Ops.randn(device, model.network().dtype(), 7, Noise.step(STEP), 0, shape)) {
          GuidedStepCoefficients gc = new GuidedStepCoefficients(
              g.scale(), (float) c.px(), (float) c.pg(), 1f, (float) c.qx(), (float) c.q0(), (float) c.qn());
          Ops.guidedStepInto(x, g.a(), g.b(), gc, z, null, out, null);
          device.synchronize();
        }
        if (i >= warmup) {
          times.add((System.nanoTime() - t0) / 1e6);
        }
      }
    }
    return times;
  }

  private static long[] labels(AdmModel model, int batch) {
    long[] ys = new long[batch];
    for (int i = 0; i < batch; i++) {
      ys[i] = (37L * i + 11) % model.numClasses();
    }
    return ys;
  }

  private static Map<String, Object> delta(VendorPath.Counts a, VendorPath.Counts b) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("conv_cudnn", b.convCudnn() - a.convCudnn());
    m.put("conv_hand_written", b.convHandWritten() - a.convHandWritten());
    m.put("gemm_cublaslt", b.gemmCublasLt() - a.gemmCublasLt());
    m.put("gemm_hand_written", b.gemmHandWritten() - a.gemmHandWritten());
    return m;
  }

  private static double median(List<Double> xs) {
    double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = a.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
  }

  private static void write(Path json, Map<String, Object> result) throws IOException {
    Path tmp = json.resolveSibling(json.getFileName() + ".tmp");
    Files.writeString(tmp, Json.write(result) + "\n");
    Files.move(tmp, json, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
