package org.guidance4j.sampling;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.AdmModel;
import org.guidance4j.diffusion.schedule.EdmChurn;
import org.guidance4j.diffusion.schedule.EdmSchedule;
import org.guidance4j.guidance.ClassifierFree;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The same seed gives the same samples on the CPU and on CUDA: the noise is the same Philox
 * stream on both (bit for bit, see PhiloxNoiseTest), so the samples differ only by the float
 * rounding of two kernel implementations, accumulated over the run. Skips without a GPU.
 */
class CudaSeedingTest {
  // F32 on both; per-op differences are ~1e-6 relative, amplified over 4-step stochastic runs of
  // a random network by at most a few times: 1e-4 leaves margin without hiding a wrong noise draw
  // or a wrong kernel, both of which move samples by O(1)
  static final double TOLERANCE = 1e-4;

  static float[] run(Device device, Sampler sampler, int n) throws IOException {
    try (AdmModel model = AdmModel.load(SamplerCases.model("adm/unet_c"), device, DType.F32);
        Tensor out =
            SamplingRun.of(model).sampler(sampler).guidance(new ClassifierFree(model, 2.5)).batch(3)
                .sample(n, SamplingRunTest.labels(n), 1234)) {
      return out.toFloatArray();
    }
  }

  @Test
  void cpuAndCudaGiveTheSameSamples() throws IOException {
    Assumptions.assumeTrue(Device.cudaAvailable(), "no CUDA device: " + Device.cudaUnavailableReason());
    Sampler[] samplers = {
      DiscreteSampler.ddim("ddim4", true, 1.0),
      DiscreteSampler.ddpm("5", true),
      new EdmSampler(true, EdmSchedule.edm2(3), new EdmChurn(40, 0.05, 50, 1.003)),
    };
    for (Sampler s : samplers) {
      float[] cpu = run(Device.cpu(), s, 5);
      float[] cuda = run(Device.cuda(0), s, 5);
      double num = 0;
      double den = 0;
      for (int i = 0; i < cpu.length; i++) {
        num += Math.pow(cpu[i] - cuda[i], 2);
        den += (double) cpu[i] * cpu[i];
      }
      double err = Math.sqrt(num / den);
      System.out.printf("%s: CPU vs CUDA rel L2 %.2e%n", s.describe(), err);
      assertTrue(err < TOLERANCE, s.describe() + ": CPU vs CUDA rel L2 " + err);
    }
  }
}
