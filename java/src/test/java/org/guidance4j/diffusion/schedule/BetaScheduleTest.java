package org.guidance4j.diffusion.schedule;

import static org.guidance4j.diffusion.schedule.Fixtures.REL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class BetaScheduleTest {

  @Test
  void matchesReferenceForEveryScheduleAndLength() {
    Map<String, Object> all = Fixtures.map(Fixtures.load("betas.json"));
    assertEquals(8, all.size());
    for (var e : all.entrySet()) {
      String[] nameAndT = e.getKey().split("_");
      double[] betas = BetaSchedule.named(nameAndT[0]).betas(Integer.parseInt(nameAndT[1]));
      Fixtures.assertAllRel(Fixtures.doubles(e.getValue()), betas, REL, e.getKey());
    }
  }

  @Test
  void linearIsNumpyLinspaceBitForBit() {
    // linspace's arithmetic (start + i*step, exact end points) is pure IEEE, so no libm slack.
    double[] expected =
        Fixtures.doubles(Fixtures.map(Fixtures.load("betas.json")).get("linear_1000"));
    assertArrayEquals(expected, BetaSchedule.LINEAR.betas(1000), 0.0);
    assertEquals(0.0001, BetaSchedule.LINEAR.betas(1000)[0]);
    assertEquals(0.02, BetaSchedule.LINEAR.betas(1000)[999]);
  }

  @Test
  void cosineIsCappedAtMaxBeta() {
    double[] betas = BetaSchedule.COSINE.betas(1000);
    assertEquals(BetaSchedule.COSINE_MAX_BETA, betas[999]);
    for (double b : betas) {
      assertTrue(b > 0 && b <= BetaSchedule.COSINE_MAX_BETA);
    }
  }

  @Test
  void namesFollowGuidedDiffusionFlags() {
    assertEquals(BetaSchedule.LINEAR, BetaSchedule.named("linear"));
    assertEquals(BetaSchedule.COSINE, BetaSchedule.named("cosine"));
    assertEquals("cosine", BetaSchedule.COSINE.flagName());
    var e = assertThrows(IllegalArgumentException.class, () -> BetaSchedule.named("sigmoid"));
    assertTrue(e.getMessage().contains("\"sigmoid\""), e.getMessage());
  }

  @Test
  void rejectsNonPositiveStepCounts() {
    for (BetaSchedule s : BetaSchedule.values()) {
      var e = assertThrows(IllegalArgumentException.class, () -> s.betas(0));
      assertTrue(e.getMessage().contains("got 0"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> s.betas(-3));
    }
  }

  @Test
  void singleStepLinspaceIsTheStart() {
    assertArrayEquals(new double[] {0.1}, BetaSchedule.LINEAR.betas(1), 0.0);
  }
}
