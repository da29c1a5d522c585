package org.guidance4j.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.NonFinite;
import org.guidance4j.core.Tensor;
import org.guidance4j.io.ModelFiles;
import org.guidance4j.io.SafetensorsEntry;
import org.guidance4j.io.SafetensorsFile;
import org.guidance4j.nn.adm.AdmUNet;

/**
 * What the load-time check for NaN and infinite weights costs next to reading the checkpoint:
 * for each model, the median of REPEATS runs of (1) reading the whole file from the page cache
 * (64 MiB reads into one direct buffer, after one untimed read warms the cache), (2) the check
 * alone, NonFinite.any over every tensor of the memory-mapped file (what Weights does per tensor
 * on the CPU backend), and (3) AdmUNet.load on the CPU in F32, which includes the check. (1) and
 * (2) report wall time and the process's CPU time (all threads), the latter being the fairer
 * comparison on a machine shared with other work.
 *
 * <p>Usage: WeightCheckTiming [model dir...] (default: models/digits-unet and the random ADM-64
 * checkpoint of the other benchmarks, written once under g4j.bench.models).
 */
public final class WeightCheckTiming {
  private WeightCheckTiming() {}

  private static final int REPEATS = Integer.getInteger("g4j.bench.repeats", 5);

  public static void main(String[] args) throws IOException {
    List<Path> models = new ArrayList<>();
    if (args.length > 0) {
      for (String a : args) {
        models.add(Path.of(a));
      }
    } else {
      models.add(Path.of(System.getProperty("g4j.bench.root", "."), "models", "digits-unet"));
      models.add(RandomCheckpoint.ensure(AdmNet.ADM64));
    }
    System.out.printf("CPU threads %d, load average %s%n", Device.cpuThreads(), loadAverage());
    System.out.println("| model | file MB | read: wall ms (GB/s), CPU ms | check: wall ms (GB/s), CPU ms (of it in the kernel) | **check / read**: wall, CPU | load ms (with the check) |");
    System.out.println("|---|---|---|---|---|---|");
    for (Path model : models) {
      Path file = ModelFiles.resolve(model).checkpoint();
      long bytes = Files.size(file);
      read(file); // warm the page cache
      check(file);
      List<Double> read = new ArrayList<>();
      List<Double> check = new ArrayList<>();
      List<Double> readCpu = new ArrayList<>();
      List<Double> checkCpu = new ArrayList<>();
      List<Double> checkSys = new ArrayList<>();
      List<Double> load = new ArrayList<>();
      for (int r = 0; r < REPEATS; r++) {
        long cpu0 = cpuNanos();
        read.add(read(file));
        long cpu1 = cpuNanos();
        long sys1 = sysMillis();
        check.add(check(file));
        long cpu2 = cpuNanos();
        checkSys.add((double) (sysMillis() - sys1));
        readCpu.add((cpu1 - cpu0) / 1e6);
        checkCpu.add((cpu2 - cpu1) / 1e6);
        long t0 = System.nanoTime();
        try (AdmUNet unet = AdmUNet.load(model, Device.cpu(), DType.F32)) {
          load.add((System.nanoTime() - t0) / 1e6);
        }
      }
      double r = median(read);
      double c = median(check);
      double rc = median(readCpu);
      double cc = median(checkCpu);
      System.out.printf("| %s | %.1f | %.1f (%.1f), %.0f | %.1f (%.1f), %.0f (%.0f) | **%.2f, %.2f** | %.0f |%n",
          model.getFileName(), bytes / 1e6, r, bytes / (r * 1e6), rc, c, bytes / (c * 1e6), cc, median(checkSys),
          c / r, cc / rc, median(load));
    }
    System.out.printf("load average at the end %s%n", loadAverage());
  }

  /** CPU time of the whole process (every thread: the reader, the native pool's workers). */
  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** The process's system (kernel) CPU time, from /proc/self/stat, in ms (10 ms resolution): page faults of the mapping. */
  private static long sysMillis() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[12]) * 10; // stime, field 15, in 100 Hz ticks
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private static double read(Path file) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocateDirect(64 << 20);
    long t0 = System.nanoTime();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      while (ch.read(buffer) >= 0) {
        buffer.clear();
      }
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  private static double check(Path file) throws IOException {
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      long t0 = System.nanoTime();
      int bad = 0;
      for (SafetensorsEntry e : f.entries()) {
        if (!e.dtype().isFloatData() || e.elementCount() == 0) {
          continue;
        }
        DType t = DType.valueOf(e.dtype().name());
        try (Tensor w = Tensor.wrap(e.data(), t, e.shape())) {
          bad += NonFinite.any(w) ? 1 : 0;
        }
      }
      double ms = (System.nanoTime() - t0) / 1e6;
      if (bad != 0) {
        throw new IllegalStateException(file + ": " + bad + " tensors hold non-finite values");
      }
      return ms;
    }
  }

  private static double median(List<Double> xs) {
    double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
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
