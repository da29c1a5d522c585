package org.guidance4j.diffusion.schedule;

import static org.guidance4j.diffusion.schedule.Fixtures.REL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DdpmStepTest {

  @Test
  void coefficientsMatchReference() {
    int cases = 0;
    for (StepFixture f : StepFixture.all()) {
      Fixtures.assertRel(
          Fixtures.num(f.json(), "px"),
          f.prediction().px(f.diffusion(), f.t()),
          REL,
          f.name() + " px");
      Fixtures.assertRel(
          Fixtures.num(f.json(), "pg"),
          f.prediction().pg(f.diffusion(), f.t()),
          REL,
          f.name() + " pg");
      for (Map<String, Object> c : f.cases("ddpm")) {
        VarianceType var = StepFixture.variance(Fixtures.str(c, "var"));
        StepCoefficients k = DdpmStep.of(f.diffusion(), f.t(), f.prediction(), var);
        String what = f.name() + " " + var;
        Fixtures.assertRel(Fixtures.num(c, "qx"), k.qx(), REL, what + " qx");
        Fixtures.assertRel(Fixtures.num(c, "q0"), k.q0(), REL, what + " q0");
        Fixtures.assertRel(Fixtures.num(c, "qn"), k.qn(), REL, what + " qn");
        if (var == VarianceType.LEARNED_RANGE) {
          LearnedRange r = LearnedRange.of(f.diffusion(), f.t());
          Fixtures.assertRel(Fixtures.num(c, "min_log"), r.minLog(), REL, what + " min_log");
          Fixtures.assertRel(Fixtures.num(c, "max_log"), r.maxLog(), REL, what + " max_log");
        } else {
          Fixtures.assertRel(
              Fixtures.num(c, "variance"),
              var.variance(f.diffusion(), f.t()),
              REL,
              what + " variance");
          Fixtures.assertRel(
              Fixtures.num(c, "log_variance"),
              var.logVariance(f.diffusion(), f.t()),
              REL,
              what + " log variance");
        }
        cases++;
      }
    }
    assertEquals(4 * 5 * 3 * 3, cases);
  }

  @Test
  void fusedFormReproducesPSample() {
    for (StepFixture f : StepFixture.all()) {
      for (Map<String, Object> c : f.cases("ddpm")) {
        VarianceType var = StepFixture.variance(Fixtures.str(c, "var"));
        StepCoefficients k = DdpmStep.of(f.diffusion(), f.t(), f.prediction(), var);
        for (boolean clip : new boolean[] {false, true}) {
          double[] expected = Fixtures.doubles(c.get(clip ? "clip" : "noclip"));
          for (int i = 0; i < expected.length; i++) {
            double std =
                var == VarianceType.LEARNED_RANGE
                    ? LearnedRange.of(f.diffusion(), f.t()).std(f.v()[i])
                    : 1.0;
            double x0 = k.x0(f.x()[i], f.out()[i], clip ? 1.0 : 0.0);
            double out = k.out(f.x()[i], x0, f.z()[i], std);
            double terms =
                Math.abs(k.qx() * f.x()[i])
                    + Math.abs(k.q0() * x0)
                    + Math.abs(k.qn() * std * f.z()[i])
                    + Math.abs(k.q0() * k.px() * f.x()[i])
                    + Math.abs(k.q0() * k.pg() * f.out()[i]);
            StepFixture.check(
                expected[i],
                out,
                terms,
                f.name() + " " + var + (clip ? " clip" : "") + " [" + i + "]");
          }
        }
      }
    }
  }

  @Test
  void noNoiseAtTheLastStep() {
    DiscreteDiffusion d = new DiscreteDiffusion(BetaSchedule.LINEAR.betas(1000));
    for (VarianceType v : VarianceType.values()) {
      assertFalse(DdpmStep.of(d, 0, Prediction.EPSILON, v).noisy(), v.name());
      assertTrue(DdpmStep.of(d, 1, Prediction.EPSILON, v).noisy(), v.name());
    }
    assertEquals(1.0, DdpmStep.of(d, 5, Prediction.EPSILON, VarianceType.LEARNED_RANGE).qn());
  }

  @Test
  void learnedRangeEndsAreTheFixedTypes() {
    DiscreteDiffusion d = new DiscreteDiffusion(BetaSchedule.COSINE.betas(1000));
    for (int t : new int[] {1, 300, 999}) {
      LearnedRange r = LearnedRange.of(d, t);
      Fixtures.assertRel(
          VarianceType.FIXED_SMALL.logVariance(d, t), r.logVariance(-1), 1e-15, "v=-1");
      Fixtures.assertRel(
          VarianceType.FIXED_LARGE.logVariance(d, t), r.logVariance(1), 1e-15, "v=+1");
      Fixtures.assertRel(Math.exp(0.5 * r.logVariance(0.3)), r.std(0.3), 1e-15, "std");
    }
  }

  @Test
  void variantsFollowGuidedDiffusionFlags() {
    assertEquals(VarianceType.LEARNED_RANGE, VarianceType.fromFlags(true, true));
    assertEquals(VarianceType.FIXED_SMALL, VarianceType.fromFlags(false, true));
    assertEquals(VarianceType.FIXED_LARGE, VarianceType.fromFlags(false, false));
    DiscreteDiffusion d = new DiscreteDiffusion(BetaSchedule.LINEAR.betas(100));
    var e =
        assertThrows(IllegalStateException.class, () -> VarianceType.LEARNED_RANGE.variance(d, 3));
    assertTrue(e.getMessage().contains("LearnedRange"), e.getMessage());
  }

  @Test
  void rejectsTimestepsOutsideTheDiffusion() {
    DiscreteDiffusion d = new DiscreteDiffusion(BetaSchedule.LINEAR.betas(100));
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DdpmStep.of(d, 100, Prediction.EPSILON, VarianceType.FIXED_LARGE));
    assertTrue(e.getMessage().contains("timestep 100"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> DdpmStep.of(d, -1, Prediction.EPSILON, VarianceType.FIXED_LARGE));
  }
}
