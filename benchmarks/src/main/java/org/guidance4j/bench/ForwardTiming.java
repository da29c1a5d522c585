package org.guidance4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.io.Json;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;
import org.guidance4j.nn.adm.AdmUNet;

/**
 * Times AdmUNet.forward on a model directory, the Java half of the side-by-side with
 * tools/bench_torch_cpu.py (which writes the directory with the weights it timed). Checks first
 * that the output matches PyTorch's on the saved check input, then prints the median of the timed
 * forwards per batch and, when torch_timing.json is in the directory, the ratio Java / PyTorch.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar org.guidance4j.bench.ForwardTiming DIR \
 *     [--batches 1,16] [--warmup 1] [--repeats 5] [--threads 2] [--device cpu]
 * </pre>
 */
public final class ForwardTiming {
  private ForwardTiming() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1 || args[0].startsWith("-")) {
      System.err.println("usage: ForwardTiming MODEL_DIR [--batches 1,16] [--warmup 1] [--repeats 5] [--threads 2] [--device cpu]");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    Map<String, String> opt = new LinkedHashMap<>(Map.of("batches", "1,16", "warmup", "1", "repeats", "5", "threads", "2", "device", "cpu"));
    for (int i = 1; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--") || !opt.containsKey(args[i].substring(2))) {
        throw new IllegalArgumentException("unknown option " + args[i]);
      }
      opt.put(args[i].substring(2), args[i + 1]);
    }
    Device device = Bench.open(opt.get("device"));
    int threads = Integer.parseInt(opt.get("threads"));
    if (device.isCpu()) {
      Device.setCpuThreads(threads);
    }
    int warmup = Integer.parseInt(opt.get("warmup"));
    int repeats = Integer.parseInt(opt.get("repeats"));
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("date", OffsetDateTime.now(ZoneOffset.UTC).withNano(0).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME));
    result.put("jdk", System.getProperty("java.vm.name") + " " + Runtime.version());
    result.put("cpu", cpuModel());
    result.put("device", device.toString());
    result.put("threads", device.isCpu() ? Device.cpuThreads() : 0);
    result.put("precision", "F32");
    result.put("loadavg_before", loadAverage());
    Map<String, Object> batches = new LinkedHashMap<>();
    try (AdmUNet unet = AdmUNet.load(dir, device, DType.F32)) {
      result.put("check_rel_l2", check(unet, dir.resolve("check")));
      for (String bs : opt.get("batches").split(",")) {
        int batch = Integer.parseInt(bs.trim());
        List<Double> times = time(unet, device, batch, warmup, repeats);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("median_ms", median(times));
        t.put("times_ms", times);
        batches.put(String.valueOf(batch), t);
        System.err.printf(Locale.ROOT, "java batch %d: median %.1f ms of %s%n", batch, median(times), times);
      }
    }
    result.put("batches", batches);
    result.put("loadavg_after", loadAverage());
    Files.writeString(dir.resolve("java_timing.json"), Json.write(result) + "\n");
    Path torch = dir.resolve("torch_timing.json");
    System.out.print(comparison(result, Files.exists(torch) ? (Map<?, ?>) Json.parse(Files.readString(torch), torch.toString()) : null));
  }

  /** Relative L2 error of our output against PyTorch's on the saved inputs (NaN when none saved). */
  private static double check(AdmUNet unet, Path check) throws IOException {
    if (!Files.isRegularFile(check.resolve("out.npy"))) {
      return Double.NaN;
    }
    NpyArray x = Npy.read(check.resolve("x.npy"));
    float[] t = Npy.read(check.resolve("t.npy")).toFloatArray();
    long[] y = Npy.read(check.resolve("y.npy")).toLongArray();
    float[] expected = Npy.read(check.resolve("out.npy")).toFloatArray();
    float[] got;
    try (Tensor xt = Tensor.fromArray(unet.device(), x.toFloatArray(), x.shape());
        Tensor out = unet.forward(xt, t, y)) {
      got = out.toFloatArray();
    }
    double num = 0;
    double den = 0;
    for (int i = 0; i < got.length; i++) {
      double d = (double) got[i] - expected[i];
      num += d * d;
      den += (double) expected[i] * expected[i];
    }
    double rel = Math.sqrt(num / den);
    System.err.printf(Locale.ROOT, "check against PyTorch's output: relative L2 error %.2e%n", rel);
    if (!(rel < 1e-4)) {
      throw new IllegalStateException("the Java forward does not match PyTorch's (rel L2 " + rel + "): not the same network?");
    }
    return rel;
  }

  private static List<Double> time(AdmUNet unet, Device device, int batch, int warmup, int repeats) {
    long s = unet.config().imageSize();
    float[] ts = new float[batch];
    long[] ys = new long[batch];
    for (int i = 0; i < batch; i++) {
      ts[i] = 500f;
      ys[i] = (37L * i + 11) % unet.config().numClasses();
    }
    List<Double> times = new ArrayList<>();
    try (Tensor x = Ops.randn(device, DType.F32, 1, 1, 0, batch, 3, s, s)) {
      for (int i = 0; i < warmup + repeats; i++) {
        long t0 = System.nanoTime();
        try (Tensor out = unet.forward(x, ts, ys)) {
          device.synchronize();
        }
        if (i >= warmup) {
          times.add((System.nanoTime() - t0) / 1e6);
        }
      }
    }
    return times;
  }

  static String comparison(Map<String, Object> java, Map<?, ?> torch) {
    StringBuilder out = new StringBuilder();
    out.append("| batch | Java median ms | PyTorch median ms | Java / PyTorch |\n|---|---|---|---|\n");
    Map<?, ?> jb = (Map<?, ?>) java.get("batches");
    Map<?, ?> tb = torch == null ? Map.of() : (Map<?, ?>) torch.get("batches");
    for (Object batch : jb.keySet()) {
      double j = ((Number) ((Map<?, ?>) jb.get(batch)).get("median_ms")).doubleValue();
      Object tm = tb.get(batch);
      double t = tm == null ? Double.NaN : ((Number) ((Map<?, ?>) tm).get("median_ms")).doubleValue();
      out.append(String.format(Locale.ROOT, "| %s | %.1f | %s | %s |%n", batch, j,
          Double.isNaN(t) ? "-" : String.format(Locale.ROOT, "%.1f", t),
          Double.isNaN(t) ? "-" : String.format(Locale.ROOT, "%.2f", j / t)));
    }
    out.append("\nJava: ").append(java.get("jdk")).append(", ").append(java.get("threads")).append(" threads, ")
        .append(java.get("precision")).append(", load average before/after ").append(java.get("loadavg_before"))
        .append(" / ").append(java.get("loadavg_after")).append('\n');
    if (torch != null) {
      out.append("PyTorch: ").append(torch.get("torch_version")).append(", ").append(torch.get("threads"))
          .append(" threads, load average before/after ").append(torch.get("loadavg_before")).append(" / ")
          .append(torch.get("loadavg_after")).append('\n');
    }
    out.append("CPU: ").append(java.get("cpu")).append("; date ").append(java.get("date")).append(" UTC\n");
    return out.toString();
  }

  private static double median(List<Double> xs) {
    double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = a.length;
    return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim())
          .findFirst()
          .orElse(System.getProperty("os.arch"))
          + " x " + Runtime.getRuntime().availableProcessors();
    } catch (IOException e) {
      return System.getProperty("os.arch");
    }
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return String.join(" ", Arrays.copyOf(f, 3));
    } catch (IOException e) {
      return "unknown";
    }
  }
}
