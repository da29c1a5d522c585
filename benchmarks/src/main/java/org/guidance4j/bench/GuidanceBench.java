package org.guidance4j.bench;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.guidance4j.core.GuidedStepCoefficients;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
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
 * The per-step kernels of a sampler over the whole image batch (B, 3, S, S): the guided
 * combination, the fused guided step (every optional input present: CFG pair, noise, per-element
 * std, x0 output) and the step's Gaussian noise.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class GuidanceBench {
  @Param({"cpu", "cuda"})
  public String device;

  @Param({"F32"})
  public String dtype;

  /** The image size of an {@link AdmNet}: ADM64 (64 x 64) or ADM256 (256 x 256). */
  @Param({"ADM64", "ADM256"})
  public String net;

  @Param({"1", "16"})
  public int batch;

  private static final GuidedStepCoefficients STEP = new GuidedStepCoefficients(4f, 1.02f, -0.2f, 1f, 0.3f, 0.7f, 0.1f);

  private Bench b;
  private Tensor x;
  private Tensor eps;
  private Tensor epsCond;
  private Tensor noise;
  private Tensor std;
  private Tensor out;
  private Tensor x0;

  static long[] shape(String net, int batch) {
    long s = AdmNet.valueOf(net).admConfig().imageSize();
    return new long[] {batch, 3, s, s};
  }

  @Setup
  public void setup() {
    b = new Bench(device, dtype);
    long[] s = shape(net, batch);
    x = b.randn(s);
    eps = b.randn(s);
    epsCond = b.randn(s);
    noise = b.randn(s);
    std = b.randn(s);
    out = b.empty(s);
    x0 = b.empty(s);
  }

  @TearDown
  public void tearDown() {
    b.close();
  }

  @Benchmark
  public Tensor guidedCombine() {
    Ops.guidedCombineInto(eps, epsCond, 4f, out);
    b.sync();
    return out;
  }

  @Benchmark
  public Tensor guidedStep() {
    Ops.guidedStepInto(x, eps, epsCond, STEP, noise, std, out, x0);
    b.sync();
    return out;
  }

  @Benchmark
  public Tensor randn() {
    Ops.randnInto(out, 42, 7, 0);
    b.sync();
    return out;
  }

  static Work work(String method, Map<String, String> p) {
    double n = Bench.numel(shape(p.get("net"), Integer.parseInt(p.get("batch"))));
    double s = Report.elementSize(p);
    return switch (method) {
      case "guidedCombine" -> Work.memory(3 * n * s, "3 n s (read a, b; write out), n = B 3 S S");
      case "guidedStep" -> Work.memory(7 * n * s, "7 n s (read x, a, b, noise, std; write out, x0)");
      case "randn" -> Work.memory(n * s, "n s (write only; Philox + Box-Muller bound)");
      default -> null;
    };
  }
}
