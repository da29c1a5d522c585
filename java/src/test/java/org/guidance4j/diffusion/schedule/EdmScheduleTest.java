package org.guidance4j.diffusion.schedule;

import static org.guidance4j.diffusion.schedule.Fixtures.REL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EdmScheduleTest {

  @Test
  void sigmasMatchReference() {
    Map<String, Object> edm = Fixtures.map(Fixtures.load("edm.json"));
    int cases = 0;
    for (Object o : Fixtures.list(edm.get("sigmas"))) {
      Map<String, Object> c = Fixtures.map(o);
      EdmSchedule s =
          new EdmSchedule(
              Fixtures.num(c, "sigma_min"),
              Fixtures.num(c, "sigma_max"),
              Fixtures.num(c, "rho"),
              Fixtures.integer(c, "steps"));
      Fixtures.assertAllRel(Fixtures.doubles(c.get("sigmas")), s.sigmas(), REL, s.toString());
      cases++;
    }
    assertEquals(5, cases);
  }

  @Test
  void edm2DefaultsRunFromSigmaMaxToSigmaMinThenZero() {
    double[] s = EdmSchedule.edm2(EdmSchedule.EDM2_STEPS).sigmas();
    assertEquals(33, s.length);
    assertEquals(80.0, s[0], 1e-12);
    assertEquals(0.002, s[31], 1e-15);
    assertEquals(0.0, s[32]);
    for (int i = 1; i < s.length; i++) {
      assertTrue(s[i] < s[i - 1], "decreasing at " + i);
    }
  }

  @Test
  void oneStepStartsAtSigmaMax() {
    double[] s = EdmSchedule.edm2(1).sigmas();
    assertEquals(80.0, s[0]);
    assertEquals(0.0, s[1]);
  }

  @Test
  void rejectsBadParametersNamingThem() {
    var steps = assertThrows(IllegalArgumentException.class, () -> EdmSchedule.edm2(0));
    assertTrue(steps.getMessage().contains("got 0"), steps.getMessage());
    var range =
        assertThrows(IllegalArgumentException.class, () -> new EdmSchedule(1.0, 0.5, 7, 10));
    assertTrue(range.getMessage().contains("sigma_min = 1.0"), range.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new EdmSchedule(0.0, 80, 7, 10));
    assertThrows(
        IllegalArgumentException.class,
        () -> new EdmSchedule(0.002, Double.POSITIVE_INFINITY, 7, 10));
    var rho =
        assertThrows(IllegalArgumentException.class, () -> new EdmSchedule(0.002, 80, -1, 10));
    assertTrue(rho.getMessage().contains("-1.0"), rho.getMessage());
  }
}
