package org.guidance4j.bench;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.guidance4j.core.Ops;
import org.guidance4j.core.QkvLayout;
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
 * g4j_attention at every attention resolution of both networks (64 channels per head): qkv
 * (B, 3C, T) -> (B, C, T), T = res^2 tokens, in the qkv layout each network was trained with.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class AttentionBench {
  enum Shape {
    ADM64_R32(384, 32, QkvLayout.NEW_ORDER),
    ADM64_R16(576, 16, QkvLayout.NEW_ORDER),
    ADM64_R8(768, 8, QkvLayout.NEW_ORDER),
    ADM256_R32(512, 32, QkvLayout.LEGACY),
    ADM256_R16(1024, 16, QkvLayout.LEGACY),
    ADM256_R8(1024, 8, QkvLayout.LEGACY);

    static final int HEAD_CHANNELS = 64;
    final long channels;
    final long tokens;
    final QkvLayout layout;

    Shape(long channels, long res, QkvLayout layout) {
      this.channels = channels;
      this.tokens = res * res;
      this.layout = layout;
    }

    int heads() {
      return (int) (channels / HEAD_CHANNELS);
    }
  }

  @Param({"cpu", "cuda"})
  public String device;

  @Param({"F32"})
  public String dtype;

  @Param({"ADM64_R32", "ADM64_R16", "ADM64_R8", "ADM256_R32", "ADM256_R16", "ADM256_R8"})
  public String shape;

  @Param({"1", "16"})
  public int batch;

  private Bench b;
  private Shape s;
  private float scale;
  private Tensor qkv;
  private Tensor out;

  @Setup
  public void setup() {
    b = new Bench(device, dtype);
    s = Shape.valueOf(shape);
    scale = (float) (1 / Math.sqrt(Shape.HEAD_CHANNELS));
    qkv = b.randn(batch, 3 * s.channels, s.tokens);
    out = b.empty(batch, s.channels, s.tokens);
  }

  @TearDown
  public void tearDown() {
    b.close();
  }

  @Benchmark
  public Tensor attention() {
    Ops.attentionInto(qkv, s.heads(), s.layout, scale, out);
    b.sync();
    return out;
  }

  static Work work(String method, Map<String, String> p) {
    Shape sh = Shape.valueOf(p.get("shape"));
    double batch = Integer.parseInt(p.get("batch"));
    double t = sh.tokens;
    double c = sh.channels;
    double flops = 4 * batch * t * t * c;
    double bytes = 4 * batch * c * t * Report.elementSize(p);
    return Work.compute(flops, bytes, "4 B T^2 C (q k^T and attn v, 2 T^2 D each per head); bytes 4 B C T s (qkv + out)");
  }
}
