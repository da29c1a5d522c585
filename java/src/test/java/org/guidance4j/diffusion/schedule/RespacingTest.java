package org.guidance4j.diffusion.schedule;

import static org.guidance4j.diffusion.schedule.Fixtures.REL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RespacingTest {

  @Test
  void betasAndTimestepMapMatchReference() {
    for (Object o : Fixtures.list(Fixtures.load("respacing.json"))) {
      Map<String, Object> c = Fixtures.map(o);
      String what = c.get("schedule") + " T=" + c.get("T") + " \"" + c.get("spec") + "\"";
      int steps = Fixtures.integer(c, "T");
      Respacing r =
          Respacing.of(
              BetaSchedule.named(Fixtures.str(c, "schedule")).betas(steps),
              Fixtures.str(c, "spec"));
      assertEquals(steps, r.originalSteps(), what);
      assertArrayEquals(Fixtures.ints(c.get("use_timesteps")), r.timestepMap(), what);
      Fixtures.assertAllRel(Fixtures.doubles(c.get("betas")), r.betas(), REL, what);
    }
  }

  @Test
  void keptStepsKeepTheirOriginalAlphaCumprod() {
    double[] betas = BetaSchedule.COSINE.betas(1000);
    DiscreteDiffusion full = new DiscreteDiffusion(betas);
    Respacing r = Respacing.of(betas, "ddim50");
    DiscreteDiffusion spaced = r.diffusion();
    for (int t = 0; t < r.steps(); t++) {
      Fixtures.assertRel(
          full.alphaCumprod(r.originalTimestep(t)),
          spaced.alphaCumprod(t),
          1e-13,
          "abar at spaced " + t);
    }
  }

  @Test
  void networkReceivesTheOriginalIndex() {
    Respacing r = Respacing.of(BetaSchedule.LINEAR.betas(1000), "ddim25");
    assertEquals(25, r.steps());
    assertEquals(960, r.originalTimestep(24));
    assertEquals(960.0, r.networkTimestep(24, false));
    Respacing small = Respacing.of(BetaSchedule.COSINE.betas(500), "ddim10");
    assertEquals(small.originalTimestep(3) * 2.0, small.networkTimestep(3, true));
  }

  @Test
  void blankSpecKeepsEveryStep() {
    double[] betas = BetaSchedule.LINEAR.betas(1000);
    Respacing r = Respacing.of(betas, "");
    assertEquals(1000, r.steps());
    assertEquals(999, r.originalTimestep(999));
    Fixtures.assertAllRel(betas, r.betas(), 1e-12, "identity respacing");
  }

  @Test
  void explicitTimestepsAreSortedAndDeduplicated() {
    double[] betas = BetaSchedule.LINEAR.betas(100);
    Respacing r = Respacing.of(betas, new int[] {90, 0, 45, 45});
    assertArrayEquals(new int[] {0, 45, 90}, r.timestepMap());
    var e =
        assertThrows(IllegalArgumentException.class, () -> Respacing.of(betas, new int[] {100}));
    assertTrue(e.getMessage().contains("100"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Respacing.of(betas, new int[0]));
  }

  @Test
  void accessorsReturnCopies() {
    Respacing r = Respacing.of(BetaSchedule.LINEAR.betas(100), "10");
    r.betas()[0] = 5;
    r.timestepMap()[0] = 7;
    assertTrue(r.betas()[0] < 1);
    assertEquals(0, r.timestepMap()[0]);
  }
}
