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
 * The memory-bound ops at each network's largest activation, x (B, C, S, S) at full resolution:
 * fill, axpby, SiLU, the per-sample channel bias (emb_out of a ResBlock without scale-shift norm),
 * and the skip-connection concatenation of the decoder's first full-resolution block (strided
 * copies through g4j_memcpy_2d).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class ElementwiseBench {
  /** x, and the two halves of the decoder's widest torch.cat([h, skip], dim=1). */
  enum Shape {
    /** (B, 192, 64, 64); concat of h (384 channels) and skip (192). */
    ADM64_R64_C192(192, 64, 384),
    /** (B, 256, 256, 256); concat of h (256 channels) and skip (256). */
    ADM256_R256_C256(256, 256, 256);

    final long channels;
    final long res;
    final long catChannels;

    Shape(long channels, long res, long catChannels) {
      this.channels = channels;
      this.res = res;
      this.catChannels = catChannels;
    }

    long[] x(int batch) {
      return new long[] {batch, channels, res, res};
    }
  }

  @Param({"cpu", "cuda"})
  public String device;

  @Param({"F32"})
  public String dtype;

  @Param({"ADM64_R64_C192", "ADM256_R256_C256"})
  public String shape;

  @Param({"1", "16"})
  public int batch;

  private Bench b;
  private Tensor x;
  private Tensor y;
  private Tensor bias;
  private Tensor out;
  private Tensor h;
  private Tensor cat;

  @Setup
  public void setup() {
    b = new Bench(device, dtype);
    Shape s = Shape.valueOf(shape);
    x = b.randn(s.x(batch));
    y = b.randn(s.x(batch));
    bias = b.randn(batch, 2 * s.channels);
    out = b.empty(s.x(batch));
    h = b.randn(batch, s.catChannels, s.res, s.res);
    cat = b.empty(batch, s.catChannels + s.channels, s.res, s.res);
  }

  @TearDown
  public void tearDown() {
    b.close();
  }

  @Benchmark
  public Tensor fill() {
    Ops.fill(out, 0.5f);
    b.sync();
    return out;
  }

  @Benchmark
  public Tensor axpby() {
    Ops.axpbyInto(0.5f, x, 2f, y, out);
    b.sync();
    return out;
  }

  @Benchmark
  public Tensor silu() {
    Ops.siluInto(x, out);
    b.sync();
    return out;
  }

  @Benchmark
  public Tensor addChannelBias() {
    Ops.addChannelBiasInto(x, bias, out);
    b.sync();
    return out;
  }

  @Benchmark
  public Tensor concatChannels() {
    Ops.concatChannelsInto(h, x, cat);
    b.sync();
    return cat;
  }

  static Work work(String method, Map<String, String> p) {
    Shape sh = Shape.valueOf(p.get("shape"));
    double n = Bench.numel(sh.x(Integer.parseInt(p.get("batch"))));
    double s = Report.elementSize(p);
    return switch (method) {
      case "fill" -> Work.memory(n * s, "n s (write), n = B C S S");
      case "axpby" -> Work.memory(3 * n * s, "3 n s (read x, y; write out)");
      case "silu" -> Work.memory(2 * n * s, "2 n s");
      case "addChannelBias" -> Work.memory(2 * n * s, "2 n s (+ the B x C bias)");
      case "concatChannels" -> {
        double all = n * (sh.channels + sh.catChannels) / sh.channels;
        yield Work.memory(2 * all * s, "2 (n_h + n_skip) s (read both, write the concatenation)");
      }
      default -> null;
    };
  }
}
