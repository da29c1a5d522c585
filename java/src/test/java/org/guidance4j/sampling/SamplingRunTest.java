package org.guidance4j.sampling;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.AdmModel;
import org.guidance4j.diffusion.schedule.EdmChurn;
import org.guidance4j.diffusion.schedule.EdmSchedule;
import org.guidance4j.guidance.ClassifierFree;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.Unguided;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@link SamplingRun}'s promises, on the CFG fixture network (fixtures/adm/unet_c): samples do not
 * depend on the batch size (bit for bit), seeds matter, a given x_T reproduces the seeded run,
 * cancellation stops the run and frees every tensor it made, and progress comes once per step.
 * Stochastic samplers throughout (DDIM eta 1, Heun with churn), so the per-step noise streams are
 * exercised too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SamplingRunTest {
  private AdmModel model;

  @BeforeAll
  void load() throws IOException {
    model = AdmModel.load(SamplerCases.model("adm/unet_c"), Device.cpu(), DType.F32);
  }

  @AfterAll
  void close() {
    model.close();
  }

  Sampler ddim() {
    return DiscreteSampler.ddim("ddim4", true, 1.0);
  }

  Sampler heunWithChurn() {
    return new EdmSampler(true, EdmSchedule.edm2(3), new EdmChurn(40, 0.05, 50, 1.003));
  }

  float[] sample(Sampler sampler, Guidance guidance, int batch, int n, long seed) {
    try (Tensor out =
        SamplingRun.of(model).sampler(sampler).guidance(guidance).batch(batch).sample(n, labels(n), seed)) {
      return out.toFloatArray();
    }
  }

  static long[] labels(int n) {
    return SamplingRun.classes(n, 3, 7, 0, 9, 1);
  }

  /**
   * Bit for bit: the noise of a sample depends only on (seed, its index), and every op of the
   * network computes a sample's rows the same way whatever else is in the batch. CFG doubles the
   * network batch, so batch 8 runs the network on 16 rows, batch 3 on 6 and batch 1 on 2.
   */
  @Test
  void batchSizeDoesNotChangeSamples() {
    int n = 8;
    List<org.junit.jupiter.api.function.Executable> checks = new ArrayList<>();
    for (Sampler s : new Sampler[] {ddim(), heunWithChurn()}) {
      for (Guidance g : new Guidance[] {new Unguided(model), new ClassifierFree(model, 3)}) {
        float[] whole = sample(s, g, 8, n, 5);
        float[] three = sample(s, g, 3, n, 5);
        float[] one = sample(s, g, 1, n, 5);
        String what = s.describe() + ", " + g.describe();
        checks.add(() -> assertArrayEquals(whole, three, what + ": batch 3 vs 8 (max |difference| " + maxDifference(whole, three) + ")"));
        checks.add(() -> assertArrayEquals(whole, one, what + ": batch 1 vs 8 (max |difference| " + maxDifference(whole, one) + ")"));
      }
    }
    assertAll(checks);
  }

  static double maxDifference(float[] a, float[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  @Test
  void differentSeedsGiveDifferentSamples() {
    int n = 3;
    float[] a = sample(ddim(), new ClassifierFree(model, 3), n, n, 5);
    float[] b = sample(ddim(), new ClassifierFree(model, 3), n, n, 6);
    assertTrue(relativeDifference(a, b) > 0.1, "seeds 5 and 6: relative difference " + relativeDifference(a, b));
    // and within one run every sample has its own noise (same class: samples 0 and 5 of 8)
    float[] c = sample(ddim(), new ClassifierFree(model, 3), 8, 8, 5);
    int per = c.length / 8;
    float[] first = java.util.Arrays.copyOfRange(c, 0, per);
    float[] sixth = java.util.Arrays.copyOfRange(c, 5 * per, 6 * per);
    assertEquals(labels(8)[0], labels(8)[5]);
    assertTrue(relativeDifference(first, sixth) > 0.1, "samples 0 and 5 of one run are too alike");
  }

  @Test
  void initialNoiseReproducesTheSeededRun() {
    int n = 5;
    for (Sampler s : new Sampler[] {ddim(), heunWithChurn()}) {
      float[] seeded = sample(s, new ClassifierFree(model, 3), 2, n, 11);
      try (Tensor x = Ops.randn(Device.cpu(), DType.F32, 11, Noise.INITIAL, 0, n, 3, 16, 16);
          Tensor out =
              SamplingRun.of(model).sampler(s).guidance(new ClassifierFree(model, 3)).batch(2).initialNoise(x)
                  .sample(n, labels(n), 11)) {
        assertArrayEquals(seeded, out.toFloatArray(), s.describe());
      }
    }
  }

  /** x_T from tools/philox.py for a deterministic fixture case, with an unrelated seed. */
  @Test
  void initialNoiseFromPythonReproducesTheReference() throws IOException {
    SamplerCases.Case c =
        SamplerCases.load().stream().filter(k -> k.name().equals("ddim8_eta0_noclip")).findFirst().orElseThrow();
    NpyArray noise = Npy.read(SamplerCases.fixtures().resolve("sampling/init_noise.npy"));
    NpyArray want = Npy.read(SamplerCases.fixtures().resolve("sampling").resolve(c.expected()));
    try (Tensor x = Tensor.fromArray(Device.cpu(), noise.toFloatArray(), noise.shape());
        Tensor out =
            SamplingRun.of(model).sampler(SamplerCases.sampler(c.sampler())).initialNoise(x)
                .sample(c.labels().length, c.labels(), 987654321)) {
      double err = SamplerParityTest.relL2(out.toFloatArray(), want.toDoubleArray());
      double tol = SamplerParityTest.tolerance(c);
      assertTrue(err < tol, "relative L2 " + err + " >= " + tol);
    }
  }

  @Test
  void cancellationThrowsAndLeavesNoTensorBehind() {
    // one complete run first: whatever a first forward allocates for good is then in the baseline
    sample(heunWithChurn(), new ClassifierFree(model, 3), 2, 2, 1);
    long baseline = Device.cpu().memoryStats().inUse();
    for (Sampler s : new Sampler[] {ddim(), heunWithChurn()}) {
      for (int stopAfter : new int[] {1, 2}) {
        AtomicInteger steps = new AtomicInteger();
        SamplingRun run =
            SamplingRun.of(model).sampler(s).guidance(new ClassifierFree(model, 3)).batch(2)
                .listener(p -> steps.incrementAndGet())
                .cancelWhen(() -> steps.get() >= stopAfter);
        assertThrows(CancellationException.class, () -> run.sample(3, labels(3), 1), s.describe());
        assertEquals(stopAfter, steps.get(), s.describe() + ": steps before cancelling");
        assertEquals(baseline, Device.cpu().memoryStats().inUse(), s.describe() + ": bytes in use after cancelling");
      }
      // a finished run, its result closed, is back at the baseline too
      sample(s, new ClassifierFree(model, 3), 2, 3, 1);
      assertEquals(baseline, Device.cpu().memoryStats().inUse(), s.describe() + ": bytes in use after a run");
    }
  }

  @Test
  void progressComesOncePerStep() {
    Sampler s = heunWithChurn();
    int steps = s.steps(model);
    List<Progress> seen = new ArrayList<>();
    int n = 5;
    int batch = 2;
    try (Tensor out =
        SamplingRun.of(model).sampler(s).guidance(new ClassifierFree(model, 3)).batch(batch).listener(seen::add)
            .sample(n, labels(n), 3)) {
      assertEquals(n, out.dim(0));
    }
    int batches = 3;
    assertEquals(batches * steps, seen.size(), "one report per step of every batch");
    double lastFraction = 0;
    for (int b = 1; b <= batches; b++) {
      for (int k = 1; k <= steps; k++) {
        Progress p = seen.get((b - 1) * steps + k - 1);
        assertEquals(b, p.batch());
        assertEquals(batches, p.batches());
        assertEquals(k, p.step());
        assertEquals(steps, p.steps());
        assertEquals(n, p.imagesTotal());
        long doneBefore = (long) (b - 1) * batch;
        long doneAfter = Math.min(n, (long) b * batch);
        assertEquals(k == steps ? doneAfter : doneBefore, p.imagesDone(), "images done at batch " + b + " step " + k);
        assertTrue(p.fraction() > lastFraction, "fraction increases");
        assertFalse(p.imagesPerSecond() < 0);
        lastFraction = p.fraction();
      }
    }
    assertEquals(1.0, lastFraction, 1e-12);
  }

  static double relativeDifference(float[] a, float[] b) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < a.length; i++) {
      double d = a[i] - b[i];
      num += d * d;
      den += (double) b[i] * b[i];
    }
    return Math.sqrt(num / den);
  }
}
