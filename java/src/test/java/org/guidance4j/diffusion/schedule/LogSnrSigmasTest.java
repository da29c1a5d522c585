package org.guidance4j.diffusion.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * For the symmetric range lambda in [-L, L] the schedule is sigma(u) = exp(-lambda(u)/2) =
 * tan(a u + b), so steps uniform in u are uniform in atan(sigma): an independent closed form.
 */
class LogSnrSigmasTest {
  @Test
  void uniformInArctanOfSigmaForTheSymmetricRange() {
    for (int steps : new int[] {2, 3, 10, 33}) {
      LogSnrSigmas s = LogSnrSigmas.hoSalimans(0.002, 80, steps);
      double[] got = s.sigmas();
      assertEquals(steps + 1, got.length);
      assertEquals(0.0, got[steps]);
      double top = Math.atan(80);
      double bottom = Math.atan(0.002);
      for (int i = 0; i < steps; i++) {
        double want = Math.tan(top + (bottom - top) * i / (steps - 1));
        assertEquals(want, got[i], 1e-12 * want, "steps " + steps + ", sigma_" + i);
        if (i > 0) {
          assertTrue(got[i] < got[i - 1], "decreasing at " + i);
        }
      }
    }
  }

  @Test
  void oneStepStartsAtSigmaMax() {
    double[] got = LogSnrSigmas.hoSalimans(0.002, 80, 1).sigmas();
    assertEquals(80.0, got[0]);
    assertEquals(0.0, got[1]);
  }

  @Test
  void rejectsRangesOutsideTheSchedule() {
    // lambda(sigma = 1e5) = -23 < -20
    var e = assertThrows(IllegalArgumentException.class, () -> LogSnrSigmas.hoSalimans(0.002, 1e5, 8));
    assertTrue(e.getMessage().contains("outside the schedule"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> LogSnrSigmas.hoSalimans(0, 80, 8));
    assertThrows(IllegalArgumentException.class, () -> LogSnrSigmas.hoSalimans(0.002, 80, 0));
  }
}
