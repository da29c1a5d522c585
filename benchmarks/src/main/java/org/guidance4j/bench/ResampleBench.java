package org.guidance4j.bench;

import java.util.Map;
import java.util.concurrent.TimeUnit;
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
 * The parameter-free resampling of the up/down ResBlocks (resblock_updown) across the first
 * level boundary: 2x2 average pool from S x S to S/2, nearest 2x up-sampling from S/2 back to S,
 * at the first level's channel count.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class ResampleBench {
  @Param({"cpu", "cuda"})
  public String device;

  @Param({"F32"})
  public String dtype;

  /** The full-resolution side, as in ElementwiseBench: (B, C, S, S). */
  @Param({"ADM64_R64_C192", "ADM256_R256_C256"})
  public String shape;

  @Param({"1", "16"})
  public int batch;

  private Bench b;
  private Tensor full;
  private Tensor half;
  private Tensor fullOut;
  private Tensor halfOut;

  @Setup
  public void setup() {
    b = new Bench(device, dtype);
    ElementwiseBench.Shape s = ElementwiseBench.Shape.valueOf(shape);
    full = b.randn(batch, s.channels, s.res, s.res);
    half = b.randn(batch, s.channels, s.res / 2, s.res / 2);
    fullOut = b.empty(batch, s.channels, s.res, s.res);
    halfOut = b.empty(batch, s.channels, s.res / 2, s.res / 2);
  }

  @TearDown
  public void tearDown() {
    b.close();
  }

  @Benchmark
  public Tensor avgPool2x2() {
    Ops.avgPool2x2Into(full, halfOut);
    b.sync();
    return halfOut;
  }

  @Benchmark
  public Tensor upsampleNearest2x() {
    Ops.upsampleNearest2xInto(half, fullOut);
    b.sync();
    return fullOut;
  }

  static Work work(String method, Map<String, String> p) {
    double n = Bench.numel(ElementwiseBench.Shape.valueOf(p.get("shape")).x(Integer.parseInt(p.get("batch"))));
    double s = Report.elementSize(p);
    return Work.memory(1.25 * n * s, "1.25 n s (the S x S side read or written once, the S/2 side a quarter of it), n = B C S S");
  }
}
