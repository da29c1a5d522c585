package org.guidance4j.diffusion.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class EdmEulerStepTest {

  @Test
  void equalsTheEdmEulerUpdate() {
    double[] sigmas = EdmSchedule.edm2(18).sigmas();
    double x = 3.1, denoised = -0.4;
    for (int i = 0; i < 18; i++) {
      double hat = sigmas[i], next = sigmas[i + 1];
      StepCoefficients k = EdmEulerStep.of(hat, next);
      double expected = x + (next - hat) * (x - denoised) / hat; // edm_sampler's x_next
      double actual = k.out(x, k.x0(x, denoised, 0), 0, 1);
      Fixtures.assertScaled(expected, actual, Math.abs(x) + Math.abs(denoised), 1e-14, "step " + i);
      assertFalse(k.noisy());
    }
    // The last step lands on the denoiser output.
    StepCoefficients last = EdmEulerStep.of(0.002, 0.0);
    assertEquals(denoised, last.out(x, denoised, 0, 1), 1e-15);
  }

  @Test
  void rejectsNonPositiveSigma() {
    assertThrows(IllegalArgumentException.class, () -> EdmEulerStep.of(0.0, 0.0));
    assertThrows(IllegalArgumentException.class, () -> EdmEulerStep.of(1.0, -0.5));
  }
}
