package org.guidance4j.diffusion.schedule;

import static org.guidance4j.diffusion.schedule.Fixtures.REL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EdmChurnTest {

  @Test
  void gammaSigmaHatAndNoiseMatchReference() {
    Map<String, Object> edm = Fixtures.map(Fixtures.load("edm.json"));
    for (Object o : Fixtures.list(edm.get("churn"))) {
      Map<String, Object> c = Fixtures.map(o);
      int steps = Fixtures.integer(c, "steps");
      double sMax = c.get("S_max") == null ? Double.POSITIVE_INFINITY : Fixtures.num(c, "S_max");
      EdmChurn churn =
          new EdmChurn(
              Fixtures.num(c, "S_churn"),
              Fixtures.num(c, "S_min"),
              sMax,
              Fixtures.num(c, "S_noise"));
      double[] sigmas = EdmSchedule.edm2(steps).sigmas();
      var rows = Fixtures.list(c.get("rows"));
      assertEquals(steps, rows.size());
      for (int i = 0; i < steps; i++) {
        Map<String, Object> r = Fixtures.map(rows.get(i));
        String what = churn + " step " + i;
        Fixtures.assertRel(Fixtures.num(r, "sigma"), sigmas[i], REL, what + " sigma");
        double sigma = Fixtures.num(r, "sigma");
        assertEquals(Fixtures.num(r, "gamma"), churn.gamma(sigma, steps), what + " gamma");
        double hat = churn.sigmaHat(sigma, steps);
        Fixtures.assertRel(Fixtures.num(r, "sigma_hat"), hat, REL, what + " sigma_hat");
        // sqrt(hat² − sigma²) cancels when gamma is small: judge on sigma's scale.
        Fixtures.assertScaled(
            Fixtures.num(r, "noise_std"),
            churn.noiseStd(sigma, hat),
            sigma,
            REL,
            what + " noise std");
      }
    }
  }

  @Test
  void edm2DefaultsNeverChurn() {
    for (double sigma : EdmSchedule.edm2(32).sigmas()) {
      assertEquals(0.0, EdmChurn.EDM2_DEFAULTS.gamma(sigma, 32));
      assertEquals(sigma, EdmChurn.EDM2_DEFAULTS.sigmaHat(sigma, 32));
    }
  }

  @Test
  void gammaIsCappedAndConfinedToItsRange() {
    EdmChurn churn = new EdmChurn(1000, 0.05, 50, 1);
    assertEquals(Math.sqrt(2) - 1, churn.gamma(1.0, 10));
    assertEquals(0.0, churn.gamma(0.049, 10));
    assertEquals(0.0, churn.gamma(50.1, 10));
    assertEquals(Math.sqrt(2) - 1, churn.gamma(50, 10));
  }

  @Test
  void rejectsBadParameters() {
    var e = assertThrows(IllegalArgumentException.class, () -> new EdmChurn(-1, 0, 1, 1));
    assertTrue(e.getMessage().contains("-1.0"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new EdmChurn(1, Double.NaN, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new EdmChurn(1, 0, 1, -1));
    var steps =
        assertThrows(IllegalArgumentException.class, () -> EdmChurn.EDM2_DEFAULTS.gamma(1, 0));
    assertTrue(steps.getMessage().contains("got 0"), steps.getMessage());
  }
}
