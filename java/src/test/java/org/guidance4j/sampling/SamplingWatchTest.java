package org.guidance4j.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.NonFiniteSampleException;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.AdmModel;
import org.guidance4j.diffusion.schedule.EdmChurn;
import org.guidance4j.diffusion.schedule.EdmSchedule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The run's non-finite watch names the right sample and the first step, for DDIM and for Heun
 * (two evaluations per step), in any batch; and {@link SamplingRun#stream} hands out the same
 * samples as {@link SamplingRun#sample}, batch by batch, in order, nothing of a bad batch.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SamplingWatchTest {
  private AdmModel model;

  @BeforeAll
  void load() throws IOException {
    model = AdmModel.load(SamplerCases.model("adm/unet_c"), Device.cpu(), DType.F32);
  }

  @AfterAll
  void close() {
    model.close();
  }

  @Test
  void ddimNamesTheSampleAndTheFirstStep() {
    for (int step = 1; step <= 3; step++) {
      int at = step;
      NonFiniteSampleException e = assertThrows(NonFiniteSampleException.class,
          () -> SamplingRun.of(new ConcurrentSamplingTest.NaNAtStep(model, 1, at))
              .sampler(DiscreteSampler.ddim("ddim3", false, 0)).batch(3).sample(3, new long[] {1, 2, 3}, 5));
      assertEquals(1, e.sample());
      assertEquals(at, e.step());
      assertEquals(3, e.steps());
      assertTrue(e.getMessage().startsWith("sample 1 went non-finite (NaN or infinity) at step " + at + " of 3"), e.getMessage());
    }
  }

  /** Heun evaluates twice per step (the last step once): forward call 3 is step 2's first. */
  @Test
  void heunNamesTheStepOfTheEvaluationThatWentBad() {
    Sampler heun = new EdmSampler(true, EdmSchedule.edm2(3), EdmChurn.EDM2_DEFAULTS);
    NonFiniteSampleException e = assertThrows(NonFiniteSampleException.class,
        () -> SamplingRun.of(new ConcurrentSamplingTest.NaNAtStep(model, 0, 3)).sampler(heun).batch(2)
            .sample(2, new long[] {4, 5}, 1));
    assertEquals(0, e.sample());
    assertEquals(2, e.step());
  }

  /** The bad sample is in the second batch: its index in the run is reported, earlier batches went out. */
  @Test
  void aLaterBatchIsNamedByItsRunIndexAndNothingOfItIsHandedOut() throws IOException {
    List<Long> handedOut = new ArrayList<>();
    NaNInBatch bad = new NaNInBatch(model, 2);
    NonFiniteSampleException e = assertThrows(NonFiniteSampleException.class,
        () -> SamplingRun.of(bad).sampler(DiscreteSampler.ddim("ddim2", false, 0)).batch(2)
            .stream(6, new long[] {1, 2, 3, 4, 5, 6}, 9, (first, samples) -> handedOut.add(first)));
    assertEquals(List.of(0L), handedOut);
    assertEquals(3, e.sample()); // second sample of the second batch
    assertEquals(1, e.step());
  }

  @Test
  void streamGivesTheSamplesOfSampleInOrder() throws IOException {
    Sampler ddim = DiscreteSampler.ddim("ddim3", true, 1.0);
    long[] labels = {0, 1, 2, 3, 4};
    float[] all;
    try (Tensor t = SamplingRun.of(model).sampler(ddim).batch(2).sample(5, labels, 11)) {
      all = t.toFloatArray();
    }
    List<Long> firsts = new ArrayList<>();
    float[] streamed = new float[all.length];
    SamplingRun.of(model).sampler(ddim).batch(2).stream(5, labels, 11, (first, samples) -> {
      firsts.add(first);
      float[] part = samples.toFloatArray();
      System.arraycopy(part, 0, streamed, (int) (first * (all.length / 5)), part.length);
    });
    assertEquals(List.of(0L, 2L, 4L), firsts);
    assertArrayEquals(all, streamed);
  }

  /** NaN in sample 1 of batch {@code batchNo} (1-based) at that batch's first forward (ddim2: two forwards per batch). */
  static final class NaNInBatch extends org.guidance4j.diffusion.ForwardingModel {
    private final int batchNo;
    private int batches;
    private int callsInBatch;

    NaNInBatch(AdmModel inner, int batchNo) {
      super(inner);
      this.batchNo = batchNo;
    }

    @Override
    public Tensor forward(Tensor x, float[] noiseInputs, long[] labels) {
      Tensor out = inner.forward(x, noiseInputs, labels);
      if (callsInBatch++ == 0) {
        batches++;
      }
      if (callsInBatch == 2) {
        callsInBatch = 0; // ddim2: two forwards per batch
      }
      if (batches != batchNo || callsInBatch != 1) {
        return out;
      }
      try (out) {
        float[] v = out.toFloatArray();
        v[(int) (v.length / out.dim(0)) + 3] = Float.NaN;
        return Tensor.fromArray(out.device(), v, out.shape());
      }
    }
  }
}
