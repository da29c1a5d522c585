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

/** g4j_timestep_embedding: B timesteps to (B, model_channels), once per network evaluation. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class EmbeddingBench {
  @Param({"cpu", "cuda"})
  public String device;

  @Param({"F32"})
  public String dtype;

  @Param({"ADM64", "ADM256"})
  public String net;

  @Param({"1", "16"})
  public int batch;

  private Bench b;
  private Tensor timesteps;
  private Tensor out;

  static long dim(String net) {
    return AdmNet.valueOf(net).admConfig().modelChannels();
  }

  @Setup
  public void setup() {
    b = new Bench(device, dtype);
    float[] t = new float[batch];
    for (int i = 0; i < batch; i++) {
      t[i] = 999f - 37f * i;
    }
    timesteps = b.keep(Tensor.fromArray(b.device, t));
    out = b.empty(batch, dim(net));
  }

  @TearDown
  public void tearDown() {
    b.close();
  }

  @Benchmark
  public Tensor timestepEmbedding() {
    Ops.timestepEmbeddingInto(timesteps, 10000f, out);
    b.sync();
    return out;
  }

  static Work work(String method, Map<String, String> p) {
    double batch = Integer.parseInt(p.get("batch"));
    double bytes = batch * 4 + batch * dim(p.get("net")) * Report.elementSize(p);
    return Work.memory(bytes, "B 4 + B C s (read F32 timesteps, write the embedding)");
  }
}
