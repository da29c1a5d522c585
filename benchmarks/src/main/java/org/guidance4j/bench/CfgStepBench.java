package org.guidance4j.bench;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.guidance4j.core.GuidedStepCoefficients;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.AdmModel;
import org.guidance4j.diffusion.schedule.DdimStep;
import org.guidance4j.diffusion.schedule.DiscreteDiffusion;
import org.guidance4j.diffusion.schedule.Prediction;
import org.guidance4j.diffusion.schedule.Respacing;
import org.guidance4j.diffusion.schedule.StepCoefficients;
import org.guidance4j.guidance.ClassifierFree;
import org.guidance4j.guidance.GuidedOutput;
import org.guidance4j.sampling.Noise;
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
 * One sampling step with classifier-free guidance (scale 4) for B images, as DiscreteSampler runs
 * it: ClassifierFree's single forward of 2B (conditional + null class), the split of eps and v,
 * the step's noise and the fused guided DDIM update (eta = 1, so the noise term is live), at the
 * middle step of a 250-step respacing. The update writes a separate tensor so every call starts
 * from the same x.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class CfgStepBench {
  @Param({"cpu", "cuda"})
  public String device;

  @Param({"F32"})
  public String dtype;

  @Param({"ADM64"})
  public String net;

  @Param({"1", "16"})
  public int batch;

  private static final int STEP = 125;
  // Noise.normal draws F32; the same stream drawn in the bench's dtype keeps F16/BF16 runs valid
  private static final long SEED = 7;

  private Bench b;
  private AdmModel model;
  private ClassifierFree guidance;
  private Tensor x;
  private Tensor out;
  private long[] labels;
  private float t;
  private double sigma;
  private StepCoefficients c;

  @Setup
  public void setup() throws IOException {
    b = new Bench(device, dtype);
    model = AdmModel.load(RandomCheckpoint.ensure(AdmNet.valueOf(net)), b.device, b.dtype);
    guidance = new ClassifierFree(model, 4.0);
    Respacing r = Respacing.of(model.diffusion().betas(), "250");
    DiscreteDiffusion d = r.diffusion();
    t = (float) r.networkTimestep(STEP, false);
    sigma = d.sigma(STEP);
    c = DdimStep.of(d, STEP, Prediction.EPSILON, 1.0);
    long[] shape = {batch, 3, model.sampleShape()[1], model.sampleShape()[2]};
    x = b.randn(shape);
    out = b.empty(shape);
    labels = new long[batch];
    for (int i = 0; i < batch; i++) {
      labels[i] = (37L * i + 11) % model.numClasses();
    }
  }

  @TearDown
  public void tearDown() {
    b.close();
    model.close();
  }

  @Benchmark
  public Tensor step() {
    try (GuidedOutput g = guidance.evaluate(x, t, sigma, labels);
        Tensor z = Ops.randn(b.device, b.dtype, SEED, Noise.step(STEP), 0, x.shape())) {
      GuidedStepCoefficients gc =
          new GuidedStepCoefficients(
              g.scale(), (float) c.px(), (float) c.pg(), 1f, (float) c.qx(), (float) c.q0(), (float) c.qn());
      Ops.guidedStepInto(x, g.a(), g.b(), gc, z, null, out, null);
      b.sync();
      return out;
    }
  }

  static Work work(String method, Map<String, String> p) {
    double batch = Integer.parseInt(p.get("batch"));
    double perImage = AdmWalk.of(AdmNet.valueOf(p.get("net")).admConfig()).flopsPerImage();
    return Work.network(2 * batch * perImage, batch, "2 B x F (the conditional and null-class halves), F as AdmForwardBench");
  }
}
