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
 * g4j_linear on the embedding path: the time-embedding MLP (time_embed.0: C -> 4C, time_embed.2:
 * 4C -> 4C) and the widest ResBlock emb_layers.1 (4C -> 2 x its channels, for AdaGN), B rows.
 * Tiny matrices whose cost is reading the weight: they show the per-call overhead.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class LinearBench {
  enum Shape {
    ADM64_TIME_EMBED_0(192, 768),
    ADM64_TIME_EMBED_2(768, 768),
    ADM64_EMB_LAYERS_C768(768, 1536),
    ADM256_TIME_EMBED_0(256, 1024),
    ADM256_TIME_EMBED_2(1024, 1024),
    ADM256_EMB_LAYERS_C1024(1024, 2048);

    final long in;
    final long out;

    Shape(long in, long out) {
      this.in = in;
      this.out = out;
    }
  }

  @Param({"cpu", "cuda"})
  public String device;

  @Param({"F32"})
  public String dtype;

  @Param({
    "ADM64_TIME_EMBED_0", "ADM64_TIME_EMBED_2", "ADM64_EMB_LAYERS_C768",
    "ADM256_TIME_EMBED_0", "ADM256_TIME_EMBED_2", "ADM256_EMB_LAYERS_C1024"
  })
  public String shape;

  @Param({"1", "16"})
  public int batch;

  private Bench b;
  private Tensor x;
  private Tensor weight;
  private Tensor bias;
  private Tensor out;

  @Setup
  public void setup() {
    b = new Bench(device, dtype);
    Shape s = Shape.valueOf(shape);
    x = b.randn(batch, s.in);
    weight = b.randn(s.out, s.in);
    bias = b.randn(s.out);
    out = b.empty(batch, s.out);
  }

  @TearDown
  public void tearDown() {
    b.close();
  }

  @Benchmark
  public Tensor linear() {
    Ops.linearInto(x, weight, bias, out);
    b.sync();
    return out;
  }

  static Work work(String method, Map<String, String> p) {
    Shape sh = Shape.valueOf(p.get("shape"));
    double rows = Integer.parseInt(p.get("batch"));
    double flops = 2 * rows * sh.in * sh.out;
    double bytes = (rows * sh.in + sh.in * sh.out + sh.out + rows * sh.out) * Report.elementSize(p);
    return Work.compute(flops, bytes, "2 B in out; bytes (x + W + bias + out) s");
  }
}
