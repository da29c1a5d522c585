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
 * g4j_group_norm (32 groups, eps 1e-5) as a ResBlock uses it at the big activations: in_layers
 * (GroupNorm with gamma/beta, then SiLU) and out_layers with use_scale_shift_norm (AdaGN: the
 * per-sample scale and shift halves of emb_out, then SiLU).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class NormBench {
  enum Shape {
    /** Level 0: every in/out norm of the first encoder level. */
    ADM64_R64_C192(192, 64),
    /** Levels 1 to 3: the out norms of the encoder's ResBlocks. */
    ADM64_R32_C384(384, 32),
    ADM64_R16_C576(576, 16),
    ADM64_R8_C768(768, 8),
    /** The decoder's widest in_layers norm, over torch.cat([h, skip]) at 64 x 64. */
    ADM64_R64_C576(576, 64),
    ADM256_R256_C256(256, 256),
    /** The decoder's widest at 256 x 256. */
    ADM256_R256_C512(512, 256);

    final long channels;
    final long res;

    Shape(long channels, long res) {
      this.channels = channels;
      this.res = res;
    }

    long[] x(int batch) {
      return new long[] {batch, channels, res, res};
    }
  }

  @Param({"cpu", "cuda"})
  public String device;

  @Param({"F32"})
  public String dtype;

  @Param({
    "ADM64_R64_C192", "ADM64_R32_C384", "ADM64_R16_C576", "ADM64_R8_C768", "ADM64_R64_C576", "ADM256_R256_C256",
    "ADM256_R256_C512"
  })
  public String shape;

  @Param({"1", "16"})
  public int batch;

  private Bench b;
  private Tensor x;
  private Tensor gamma;
  private Tensor beta;
  private Tensor scaleShift;
  private Tensor out;

  @Setup
  public void setup() {
    b = new Bench(device, dtype);
    Shape s = Shape.valueOf(shape);
    x = b.randn(s.x(batch));
    gamma = b.randn(s.channels);
    beta = b.randn(s.channels);
    scaleShift = b.randn(batch, 2 * s.channels);
    out = b.empty(s.x(batch));
  }

  @TearDown
  public void tearDown() {
    b.close();
  }

  @Benchmark
  public Tensor groupNormSilu() {
    Ops.groupNormInto(x, 32, 1e-5f, gamma, beta, true, out);
    b.sync();
    return out;
  }

  @Benchmark
  public Tensor adaGnSilu() {
    Ops.adaptiveGroupNormInto(x, 32, 1e-5f, gamma, beta, scaleShift, true, out);
    b.sync();
    return out;
  }

  static Work work(String method, Map<String, String> p) {
    double n = Bench.numel(Shape.valueOf(p.get("shape")).x(Integer.parseInt(p.get("batch"))));
    double s = Report.elementSize(p);
    return Work.memory(
        2 * n * s, "2 n s (read x once, write out; ADM-256's groups, too large for one block, read x twice), n = B C S S");
  }
}
