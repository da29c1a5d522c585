package org.guidance4j.diffusion.schedule;

import static org.guidance4j.diffusion.schedule.Fixtures.REL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DdimStepTest {

  @Test
  void coefficientsMatchReference() {
    int cases = 0;
    for (StepFixture f : StepFixture.all()) {
      for (Map<String, Object> c : f.cases("ddim")) {
        double eta = Fixtures.num(c, "eta");
        StepCoefficients k = DdimStep.of(f.diffusion(), f.t(), f.prediction(), eta);
        String what = f.name() + " eta=" + eta;
        Fixtures.assertRel(
            Fixtures.num(c, "sigma"),
            DdimStep.sigma(f.diffusion(), f.t(), eta),
            REL,
            what + " sigma");
        // qx and q0 are each near sqrt(abar_prev) and cancel in q0: judge both on that scale.
        double scale = Math.abs(Fixtures.num(c, "qx")) + 1;
        Fixtures.assertScaled(Fixtures.num(c, "qx"), k.qx(), scale, REL, what + " qx");
        Fixtures.assertScaled(Fixtures.num(c, "q0"), k.q0(), scale, REL, what + " q0");
        Fixtures.assertRel(Fixtures.num(c, "qn"), k.qn(), REL, what + " qn");
        cases++;
      }
    }
    assertEquals(4 * 5 * 3 * 3, cases);
  }

  @Test
  void fusedFormReproducesDdimSample() {
    for (StepFixture f : StepFixture.all()) {
      for (Map<String, Object> c : f.cases("ddim")) {
        double eta = Fixtures.num(c, "eta");
        StepCoefficients k = DdimStep.of(f.diffusion(), f.t(), f.prediction(), eta);
        for (boolean clip : new boolean[] {false, true}) {
          double[] expected = Fixtures.doubles(c.get(clip ? "clip" : "noclip"));
          for (int i = 0; i < expected.length; i++) {
            double x0 = k.x0(f.x()[i], f.out()[i], clip ? 1.0 : 0.0);
            double out = k.out(f.x()[i], x0, f.z()[i], 1.0);
            StepFixture.check(
                expected[i],
                out,
                terms(k, f, i, x0),
                f.name() + " eta=" + eta + (clip ? " clip" : "") + " [" + i + "]");
          }
        }
      }
    }
  }

  static double terms(StepCoefficients k, StepFixture f, int i, double x0) {
    return Math.abs(k.qx() * f.x()[i])
        + Math.abs(k.q0() * x0)
        + Math.abs(k.qn() * f.z()[i])
        + Math.abs(k.px() * f.x()[i])
        + Math.abs(k.pg() * f.out()[i]);
  }

  @Test
  void etaOneHasTheFixedSmallNoise() {
    DiscreteDiffusion d = new DiscreteDiffusion(BetaSchedule.LINEAR.betas(1000));
    for (int t : new int[] {1, 17, 500, 999}) {
      double ddpm = DdpmStep.of(d, t, Prediction.EPSILON, VarianceType.FIXED_SMALL).qn();
      Fixtures.assertRel(ddpm, DdimStep.of(d, t, Prediction.EPSILON, 1.0).qn(), 1e-12, "t=" + t);
    }
  }

  @Test
  void etaZeroIsDeterministicAndTheLastStepReturnsX0() {
    DiscreteDiffusion d = Respacing.of(BetaSchedule.COSINE.betas(1000), "ddim25").diffusion();
    assertFalse(DdimStep.of(d, 10, Prediction.EPSILON, 0.0).noisy());
    assertTrue(DdimStep.of(d, 10, Prediction.EPSILON, 0.5).noisy());
    StepCoefficients last = DdimStep.of(d, 0, Prediction.EPSILON, 1.0);
    assertEquals(0.0, last.qx());
    assertEquals(1.0, last.q0());
    assertEquals(0.0, last.qn());
  }

  @Test
  void rejectsBadEta() {
    DiscreteDiffusion d = new DiscreteDiffusion(BetaSchedule.LINEAR.betas(1000));
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> DdimStep.of(d, 5, Prediction.EPSILON, -0.5));
    assertTrue(e.getMessage().contains("-0.5"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> DdimStep.of(d, 5, Prediction.EPSILON, Double.NaN));
    // eta above 1 can ask for more noise than the step has room for.
    var big =
        assertThrows(
            IllegalArgumentException.class, () -> DdimStep.of(d, 999, Prediction.EPSILON, 50.0));
    assertTrue(big.getMessage().contains("eta = 50.0"), big.getMessage());
  }
}
