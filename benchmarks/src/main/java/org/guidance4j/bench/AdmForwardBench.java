package org.guidance4j.bench;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.guidance4j.core.Tensor;
import org.guidance4j.nn.adm.AdmUNet;
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
 * One whole U-Net forward (AdmUNet.forward: time and label embedding, every block, allocation of
 * the activations included) with random weights of the network's exact keys and shapes
 * ({@link RandomCheckpoint}), conditional, at a mid-schedule timestep.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class AdmForwardBench {
  @Param({"cpu", "cuda"})
  public String device;

  @Param({"F32"})
  public String dtype;

  /** ADM256 works too (a 2.2 GB checkpoint, about 5x the work per image). */
  @Param({"ADM64"})
  public String net;

  @Param({"1", "16"})
  public int batch;

  private Bench b;
  private AdmUNet unet;
  private Tensor x;
  private float[] timesteps;
  private long[] labels;

  @Setup
  public void setup() throws IOException {
    b = new Bench(device, dtype);
    unet = AdmUNet.load(RandomCheckpoint.ensure(AdmNet.valueOf(net)), b.device, b.dtype);
    long s = unet.config().imageSize();
    x = b.randn(batch, 3, s, s);
    timesteps = new float[batch];
    labels = new long[batch];
    for (int i = 0; i < batch; i++) {
      timesteps[i] = 500f;
      labels[i] = (37L * i + 11) % unet.config().numClasses();
    }
  }

  @TearDown
  public void tearDown() {
    b.close();
    unet.close();
  }

  @Benchmark
  public long forward() {
    try (Tensor out = unet.forward(x, timesteps, labels)) {
      b.sync();
      return out.numel();
    }
  }

  static Work work(String method, Map<String, String> p) {
    double batch = Integer.parseInt(p.get("batch"));
    double perImage = AdmWalk.of(AdmNet.valueOf(p.get("net")).admConfig()).flopsPerImage();
    return Work.network(batch * perImage, batch, "B x F, F = conv + linear + attention FLOPs of one image (AdmWalk)");
  }
}
