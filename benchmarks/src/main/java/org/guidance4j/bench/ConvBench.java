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
 * g4j_conv2d (with bias, zero padding k / 2) at representative layers of both networks. The
 * stride-2 cases are guided-diffusion's conv Downsample ({@code op}), used by networks trained
 * with resblock_updown False; the released ones down-sample inside ResBlocks (avg pool).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class ConvBench {
  enum Shape {
    /** input_blocks.0.0: the image to 192 channels. */
    ADM64_STEM(3, 192, 3, 1, 64),
    /** in_layers.2 / out_layers.3 of the first level. */
    ADM64_R64_3X3(192, 192, 3, 1, 64),
    /** The decoder's widest in_layers.2 (576 = 384 + 192 skip channels in). */
    ADM64_R64_3X3_C576(576, 192, 3, 1, 64),
    /** Its skip_connection. */
    ADM64_R64_1X1_C576(576, 192, 1, 1, 64),
    ADM64_R64_3X3_S2(192, 192, 3, 2, 64),
    /** An attention block's qkv (Conv1d k=1 run as a 1x1 conv) at 32 x 32. */
    ADM64_R32_QKV(384, 1152, 1, 1, 32),
    /** The bottleneck: 768 channels at 8 x 8. */
    ADM64_R8_3X3(768, 768, 3, 1, 8),
    /** out.2: 192 channels to eps and v (6). */
    ADM64_OUT(192, 6, 3, 1, 64),
    ADM256_R256_3X3(256, 256, 3, 1, 256),
    ADM256_R256_1X1_C512(512, 256, 1, 1, 256),
    ADM256_R256_3X3_S2(256, 256, 3, 2, 256),
    ADM256_R8_3X3(1024, 1024, 3, 1, 8);

    final long in;
    final long out;
    final int k;
    final int stride;
    final long res;

    Shape(long in, long out, int k, int stride, long res) {
      this.in = in;
      this.out = out;
      this.k = k;
      this.stride = stride;
      this.res = res;
    }

    long outRes() {
      return (res + 2 * (k / 2) - k) / stride + 1;
    }
  }

  @Param({"cpu", "cuda"})
  public String device;

  @Param({"F32"})
  public String dtype;

  @Param({
    "ADM64_STEM", "ADM64_R64_3X3", "ADM64_R64_3X3_C576", "ADM64_R64_1X1_C576", "ADM64_R64_3X3_S2",
    "ADM64_R32_QKV", "ADM64_R8_3X3", "ADM64_OUT", "ADM256_R256_3X3", "ADM256_R256_1X1_C512",
    "ADM256_R256_3X3_S2", "ADM256_R8_3X3"
  })
  public String shape;

  @Param({"1", "16"})
  public int batch;

  private Bench b;
  private Shape s;
  private Tensor x;
  private Tensor weight;
  private Tensor bias;
  private Tensor out;

  @Setup
  public void setup() {
    b = new Bench(device, dtype);
    s = Shape.valueOf(shape);
    x = b.randn(batch, s.in, s.res, s.res);
    weight = b.randn(s.out, s.in, s.k, s.k);
    bias = b.randn(s.out);
    out = b.empty(batch, s.out, s.outRes(), s.outRes());
  }

  @TearDown
  public void tearDown() {
    b.close();
  }

  @Benchmark
  public Tensor conv2d() {
    Ops.conv2dInto(x, weight, bias, null, s.stride, s.k / 2, out);
    b.sync();
    return out;
  }

  static Work work(String method, Map<String, String> p) {
    Shape sh = Shape.valueOf(p.get("shape"));
    double batch = Integer.parseInt(p.get("batch"));
    double o = sh.outRes();
    double flops = 2 * batch * sh.out * o * o * sh.in * sh.k * sh.k;
    double bytes = (batch * sh.in * sh.res * sh.res + sh.out * sh.in * sh.k * sh.k + batch * sh.out * o * o) * Report.elementSize(p);
    return Work.compute(flops, bytes, "2 B Cout Ho Wo Cin k^2; bytes (x + weight + out) s");
  }
}
