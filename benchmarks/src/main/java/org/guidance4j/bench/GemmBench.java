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
 * g4j_gemm, batched over B: a square product (the SGEMM ceiling the convolutions are measured
 * against), a 1x1 convolution written as a GEMM with a shared weight (compare ConvBench
 * ADM64_R32_QKV), and the per-head score product q^T k of attention at 32 x 32.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class GemmBench {
  enum Shape {
    /** (1024 x 1024)(1024 x 1024) per batch entry. */
    SQUARE_1024(1024, 1024, 1024, false, false, 1),
    /** W (1152 x 384), shared, times x_b (384 x 1024 tokens). */
    ADM64_R32_QKV(1152, 1024, 384, false, false, 0),
    /** q_h^T k_h: (1024 x 64)(64 x 1024) for each of 6 heads, q stored (64 x 1024). */
    ADM64_R32_SCORES(1024, 1024, 64, true, false, 6);

    final long m;
    final long n;
    final long k;
    final boolean transA;
    final boolean transB;
    /** Matrices per image: 0 shares A over the batch (a weight), else the batch is B x this. */
    final int perImage;

    Shape(long m, long n, long k, boolean transA, boolean transB, int perImage) {
      this.m = m;
      this.n = n;
      this.k = k;
      this.transA = transA;
      this.transB = transB;
      this.perImage = perImage;
    }

    long batch(int images) {
      return (long) images * Math.max(1, perImage);
    }
  }

  @Param({"cpu", "cuda"})
  public String device;

  @Param({"F32"})
  public String dtype;

  @Param({"SQUARE_1024", "ADM64_R32_QKV", "ADM64_R32_SCORES"})
  public String shape;

  @Param({"1", "16"})
  public int batch;

  private Bench b;
  private Shape s;
  private Tensor a;
  private Tensor bm;
  private Tensor c;

  @Setup
  public void setup() {
    b = new Bench(device, dtype);
    s = Shape.valueOf(shape);
    long nb = s.batch(batch);
    long[] aMat = s.transA ? new long[] {s.k, s.m} : new long[] {s.m, s.k};
    long[] bMat = s.transB ? new long[] {s.n, s.k} : new long[] {s.k, s.n};
    a = s.perImage == 0 ? b.randn(aMat) : b.randn(nb, aMat[0], aMat[1]);
    bm = b.randn(nb, bMat[0], bMat[1]);
    c = b.empty(nb, s.m, s.n);
  }

  @TearDown
  public void tearDown() {
    b.close();
  }

  @Benchmark
  public Tensor gemm() {
    Ops.gemm(s.transA, s.transB, 1f, a, bm, 0f, c);
    b.sync();
    return c;
  }

  static Work work(String method, Map<String, String> p) {
    Shape sh = Shape.valueOf(p.get("shape"));
    double nb = sh.batch(Integer.parseInt(p.get("batch")));
    double flops = 2 * nb * sh.m * sh.n * sh.k;
    double aCount = sh.perImage == 0 ? 1 : nb;
    double bytes = (aCount * sh.m * sh.k + nb * sh.k * sh.n + nb * sh.m * sh.n) * Report.elementSize(p);
    return Work.compute(flops, bytes, "2 batch m n k; bytes (A + B + C) s");
  }
}
