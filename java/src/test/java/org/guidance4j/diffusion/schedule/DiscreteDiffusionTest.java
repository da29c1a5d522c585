package org.guidance4j.diffusion.schedule;

import static org.guidance4j.diffusion.schedule.Fixtures.REL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

class DiscreteDiffusionTest {

  @Test
  void arraysMatchReference() {
    for (Object o : Fixtures.list(Fixtures.load("arrays.json"))) {
      Map<String, Object> c = Fixtures.map(o);
      DiscreteDiffusion d = Fixtures.diffusion(c);
      String what = c.get("schedule") + " T=" + c.get("T") + " \"" + c.get("spec") + "\"";
      int[] ts = Fixtures.ints(c.get("t"));
      check(c, ts, "alphas_cumprod", d::alphaCumprod, what);
      check(c, ts, "alphas_cumprod_prev", d::alphaCumprodPrev, what);
      check(c, ts, "sqrt_recip_alphas_cumprod", d::sqrtRecipAlphaCumprod, what);
      check(c, ts, "sqrt_recipm1_alphas_cumprod", d::sqrtRecipm1AlphaCumprod, what);
      check(c, ts, "posterior_variance", d::posteriorVariance, what);
      check(c, ts, "posterior_log_variance_clipped", d::posteriorLogVarianceClipped, what);
      check(c, ts, "posterior_mean_coef1", d::posteriorMeanCoef1, what);
      check(c, ts, "posterior_mean_coef2", d::posteriorMeanCoef2, what);
      check(c, ts, "fixed_large_variance", t -> VarianceType.FIXED_LARGE.variance(d, t), what);
      check(c, ts, "sigma", d::sigma, what);
    }
  }

  private static void check(
      Map<String, Object> c, int[] ts, String key, IntToDoubleFunction f, String what) {
    double[] expected = Fixtures.doubles(c.get(key));
    for (int i = 0; i < ts.length; i++) {
      Fixtures.assertRel(
          expected[i], f.applyAsDouble(ts[i]), REL, what + " " + key + "[" + ts[i] + "]");
    }
  }

  @Test
  void clippedLogVarianceBorrowsStepOne() {
    DiscreteDiffusion d = new DiscreteDiffusion(BetaSchedule.LINEAR.betas(1000));
    assertEquals(0.0, d.posteriorVariance(0));
    assertEquals(Math.log(d.posteriorVariance(1)), d.posteriorLogVarianceClipped(0));
    assertEquals(1.0, d.alphaCumprodPrev(0));
  }

  @Test
  void logSnrIsMinusTwoLogSigma() {
    DiscreteDiffusion d = new DiscreteDiffusion(BetaSchedule.COSINE.betas(1000));
    for (int t : new int[] {0, 10, 500, 999}) {
      Fixtures.assertScaled(
          -2 * Math.log(d.sigma(t)),
          d.logSnr(t),
          1 + Math.abs(d.logSnr(t)),
          1e-13,
          "log-SNR at " + t);
    }
  }

  @Test
  void rejectsBetasOutsideTheUnitInterval() {
    // Linear betas end at 20/T: above 1 for T = 10.
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new DiscreteDiffusion(BetaSchedule.LINEAR.betas(10)));
    assertTrue(e.getMessage().contains("beta[5] = 1.1"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> new DiscreteDiffusion(new double[] {0.1, 0.0}));
    assertThrows(
        IllegalArgumentException.class,
        () -> new DiscreteDiffusion(new double[] {0.1, Double.NaN}));
  }

  @Test
  void needsTwoSteps() {
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> new DiscreteDiffusion(new double[] {0.5}));
    assertTrue(e.getMessage().contains("got 1"), e.getMessage());
  }
}
