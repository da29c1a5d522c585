package org.guidance4j.diffusion.schedule;

import static org.guidance4j.diffusion.schedule.Fixtures.REL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DiscreteSigmasTest {

  @Test
  void timestepMappingsMatchReference() {
    for (Object o : Fixtures.list(Fixtures.load("discrete_sigmas.json"))) {
      Map<String, Object> c = Fixtures.map(o);
      String what = c.get("schedule") + " T=" + c.get("T");
      int steps = Fixtures.integer(c, "T");
      // No respacing here: the reference uses the named betas as they are.
      DiscreteSigmas s =
          new DiscreteSigmas(
              new DiscreteDiffusion(BetaSchedule.named(Fixtures.str(c, "schedule")).betas(steps)));
      double[] queries = Fixtures.doubles(c.get("queries"));
      int[] nearest = Fixtures.ints(c.get("nearest"));
      double[] fractional = Fixtures.doubles(c.get("fractional"));
      for (int i = 0; i < queries.length; i++) {
        assertEquals(nearest[i], s.nearestTimestep(queries[i]), what + " nearest to " + queries[i]);
        Fixtures.assertScaled(
            fractional[i],
            s.fractionalTimestep(queries[i]),
            steps,
            REL,
            what + " fractional at " + queries[i]);
      }
      double[] ts = Fixtures.doubles(c.get("t"));
      double[] sigmaAt = Fixtures.doubles(c.get("sigma_at"));
      for (int i = 0; i < ts.length; i++) {
        Fixtures.assertRel(sigmaAt[i], s.sigmaAt(ts[i]), REL, what + " sigma at " + ts[i]);
      }
    }
  }

  @Test
  void integerTimestepsRoundTrip() {
    DiscreteSigmas s = new DiscreteSigmas(new DiscreteDiffusion(BetaSchedule.LINEAR.betas(1000)));
    for (int t : new int[] {0, 1, 250, 998, 999}) {
      assertEquals(t, s.nearestTimestep(s.sigma(t)));
      assertEquals(t, s.fractionalTimestep(s.sigma(t)), 1e-9);
      Fixtures.assertRel(s.sigma(t), s.sigmaAt(t), 1e-14, "sigma at " + t);
    }
    assertEquals(s.sigma(0), s.sigmaMin());
    assertEquals(s.sigma(999), s.sigmaMax());
  }

  @Test
  void outOfRangeSigmasClampToTheEnds() {
    DiscreteSigmas s = new DiscreteSigmas(new DiscreteDiffusion(BetaSchedule.COSINE.betas(1000)));
    assertEquals(0.0, s.fractionalTimestep(s.sigmaMin() / 10));
    assertEquals(999.0, s.fractionalTimestep(s.sigmaMax() * 10));
    assertEquals(0, s.nearestTimestep(0.0));
    assertEquals(999, s.nearestTimestep(1e9));
  }

  @Test
  void rejectsBadInputs() {
    DiscreteSigmas s = new DiscreteSigmas(new DiscreteDiffusion(BetaSchedule.LINEAR.betas(100)));
    assertThrows(IllegalArgumentException.class, () -> s.nearestTimestep(-1));
    assertThrows(IllegalArgumentException.class, () -> s.fractionalTimestep(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> s.sigmaAt(99.5));
    assertThrows(IllegalArgumentException.class, () -> s.sigmaAt(-0.1));
  }
}
