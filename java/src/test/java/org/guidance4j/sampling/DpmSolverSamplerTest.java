package org.guidance4j.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.diffusion.schedule.EdmSchedule;
import org.guidance4j.diffusion.schedule.LogSnrSigmas;
import org.junit.jupiter.api.Test;

/** DPM-Solver++'s parameters: checked, and described as k-diffusion names them. */
class DpmSolverSamplerTest {
  @Test
  void describesItsSettings() {
    assertEquals("dpmpp-2m(steps=10, sigma 0.002..80.0, rho=7.0)", DpmSolverSampler.ode(EdmSchedule.edm2(10)).describe());
    assertEquals(
        "dpmpp-2m-sde(steps=12, log-SNR time, sigma 0.01..60.0, eta=0.5, s_noise=1.003, heun)",
        DpmSolverSampler.sde(LogSnrSigmas.hoSalimans(0.01, 60, 12), 0.5, 1.003, DpmSolverSampler.SolverType.HEUN).describe());
    assertEquals(25, DpmSolverSampler.ode(EdmSchedule.edm2(25)).steps(null));
  }

  @Test
  void rejectsBadParameters() {
    EdmSchedule s = EdmSchedule.edm2(10);
    assertThrows(InvalidArgumentException.class, () -> DpmSolverSampler.ode(null));
    assertThrows(InvalidArgumentException.class, () -> DpmSolverSampler.sde(s, -0.1, 1, null));
    assertThrows(InvalidArgumentException.class, () -> DpmSolverSampler.sde(s, Double.NaN, 1, null));
    assertThrows(InvalidArgumentException.class, () -> DpmSolverSampler.sde(s, 1, Double.POSITIVE_INFINITY, null));
  }
}
