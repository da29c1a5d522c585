package org.guidance4j.bench;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.guidance4j.core.DType;
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
 * g4j_cast between F32 and the 16-bit formats at the largest activation (both directions run on
 * every backend: F16 checkpoints are converted once at load, images at the end of a run).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class CastBench {
  @Param({"cpu", "cuda"})
  public String device;

  /** SOURCE_TARGET. */
  @Param({"F32_F16", "F16_F32", "F32_BF16", "BF16_F32"})
  public String cast;

  @Param({"ADM64_R64_C192", "ADM256_R256_C256"})
  public String shape;

  @Param({"1", "16"})
  public int batch;

  private Bench b;
  private Tensor src;
  private Tensor dst;

  @Setup
  public void setup() {
    b = new Bench(device, "F32");
    String[] types = cast.split("_");
    long[] s = ElementwiseBench.Shape.valueOf(shape).x(batch);
    try (Tensor f32 = Ops.randn(b.device, DType.F32, 1, 1, 0, s)) {
      src = b.keep(Ops.cast(f32, DType.valueOf(types[0])));
    }
    dst = b.keep(Tensor.empty(b.device, DType.valueOf(types[1]), s));
  }

  @TearDown
  public void tearDown() {
    b.close();
  }

  @Benchmark
  public Tensor cast() {
    Ops.castInto(src, dst);
    b.sync();
    return dst;
  }

  static Work work(String method, Map<String, String> p) {
    double n = Bench.numel(ElementwiseBench.Shape.valueOf(p.get("shape")).x(Integer.parseInt(p.get("batch"))));
    String[] types = p.get("cast").split("_");
    double bytes = n * (DType.valueOf(types[0]).byteSize() + DType.valueOf(types[1]).byteSize());
    return Work.memory(bytes, "n (s_src + s_dst), n = B C S S");
  }
}
