package org.guidance4j.guidance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.nio.file.Paths;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.diffusion.ForwardingModel;
import org.guidance4j.diffusion.Models;
import org.guidance4j.diffusion.schedule.EdmChurn;
import org.guidance4j.diffusion.schedule.EdmSchedule;
import org.guidance4j.sampling.EdmSampler;
import org.guidance4j.sampling.SamplingRun;
import org.junit.jupiter.api.Test;

/**
 * The concurrent path of autoguidance (the guide on a second thread and the device's side
 * stream, as it runs on CUDA) forced on the CPU: the samples are bit for bit those of the
 * sequential path, a failing guide surfaces as the caller's exception, and nothing either
 * network allocated is left behind. On the CPU the two threads share the backend's thread pool,
 * so this checks the orchestration, not any speed-up.
 */
class ConcurrentAutoguidanceTest {
  static Path dir(String name) throws Exception {
    return Paths.get(ConcurrentAutoguidanceTest.class.getResource("/fixtures/edm2_sampling/cases.json").toURI())
        .getParent()
        .resolve(name);
  }

  static float[] sample(DiffusionModel main, DiffusionModel guide, boolean concurrent) {
    EdmSampler heun = new EdmSampler(true, EdmSchedule.edm2(6), EdmChurn.EDM2_DEFAULTS);
    try (Tensor out =
        SamplingRun.of(main).sampler(heun).guidance(new Autoguidance(main, guide, 2.0, concurrent)).batch(3)
            .sample(5, SamplingRun.classes(5, 0, 3, 1), 11)) {
      return out.toFloatArray();
    }
  }

  @Test
  void sameSamplesAsSequential() throws Exception {
    try (DiffusionModel main = Models.load(dir("main"), Device.cpu(), DType.F32);
        DiffusionModel guide = Models.load(dir("guide_xs"), Device.cpu(), DType.F32)) {
      float[] sequential = sample(main, guide, false);
      long baseline = Device.cpu().memoryStats().inUse();
      float[] concurrent = sample(main, guide, true);
      assertArrayEquals(sequential, concurrent);
      assertEquals(baseline, Device.cpu().memoryStats().inUse(), "bytes in use after the concurrent run");
    }
  }

  @Test
  void aFailingGuideFailsTheStepAndFreesTheMainOutput() throws Exception {
    try (DiffusionModel main = Models.load(dir("main"), Device.cpu(), DType.F32)) {
      IllegalStateException boom = new IllegalStateException("guide exploded");
      DiffusionModel failing = new Failing(main, boom);
      sample(main, main, false); // warm: one-time allocations into the baseline
      long baseline = Device.cpu().memoryStats().inUse();
      IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> sample(main, failing, true));
      assertSame(boom, thrown);
      assertEquals(baseline, Device.cpu().memoryStats().inUse(), "bytes in use after the failed run");
    }
  }

  /** The main model's description with a forward that throws. */
  static final class Failing extends ForwardingModel {
    private final RuntimeException error;

    Failing(DiffusionModel inner, RuntimeException error) {
      super(inner);
      this.error = error;
    }

    @Override
    public Tensor forward(Tensor x, float[] noiseInputs, long[] labels) {
      throw error;
    }
  }
}
