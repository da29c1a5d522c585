package org.guidance4j.diffusion.schedule;

import static org.guidance4j.diffusion.schedule.Fixtures.REL;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LogSnrScheduleTest {

  @Test
  void matchesReference() {
    Map<String, Object> f = Fixtures.map(Fixtures.load("log_snr.json"));
    LogSnrSchedule s =
        new LogSnrSchedule(Fixtures.num(f, "lambda_min"), Fixtures.num(f, "lambda_max"));
    Fixtures.assertRel(Fixtures.num(f, "a"), s.a(), REL, "a");
    Fixtures.assertRel(Fixtures.num(f, "b"), s.b(), REL, "b");
    for (Object o : Fixtures.list(f.get("rows"))) {
      Map<String, Object> r = Fixtures.map(o);
      double u = Fixtures.num(r, "u");
      double lambda = s.lambda(u);
      // lambda crosses 0 near u = 0.5: judge on the range's scale there.
      Fixtures.assertScaled(Fixtures.num(r, "lambda"), lambda, 20, REL, "lambda(" + u + ")");
      double ref = Fixtures.num(r, "lambda");
      Fixtures.assertRel(
          Fixtures.num(r, "alpha2"), LogSnrSchedule.alphaSquared(ref), REL, "alpha2");
      Fixtures.assertRel(
          Fixtures.num(r, "sigma2"), LogSnrSchedule.sigmaSquared(ref), REL, "sigma2");
      Fixtures.assertRel(
          Fixtures.num(r, "edm_sigma"), LogSnrSchedule.edmSigma(ref), REL, "edm sigma");
    }
  }

  @Test
  void endsAndInverse() {
    LogSnrSchedule s = LogSnrSchedule.HO_SALIMANS;
    // At u = 1, a + b = atan(e^10) sits 4.5e-5 below pi/2, where tan magnifies the angle's own
    // rounding (1e-16) by about 2e4: a few 1e-12 is the formula's conditioning, not an error.
    Fixtures.assertScaled(20, s.lambda(0), 20, 1e-13, "lambda(0)");
    Fixtures.assertScaled(-20, s.lambda(1), 20, 1e-12, "lambda(1)");
    for (double u : new double[] {0, 0.1, 0.5, 0.77, 1}) {
      Fixtures.assertScaled(u, s.u(s.lambda(u)), 1, 1e-12, "u(lambda(" + u + "))");
    }
    for (double lambda : new double[] {-20, -3, 0, 7.5, 20}) {
      Fixtures.assertRel(
          1.0,
          LogSnrSchedule.alphaSquared(lambda) + LogSnrSchedule.sigmaSquared(lambda),
          1e-15,
          "alpha² + sigma²");
      Fixtures.assertScaled(
          lambda,
          LogSnrSchedule.lambdaOfEdmSigma(LogSnrSchedule.edmSigma(lambda)),
          20,
          1e-15,
          "lambda round trip");
    }
  }

  @Test
  void rejectsBadRanges() {
    assertThrows(IllegalArgumentException.class, () -> new LogSnrSchedule(5, -5));
    assertThrows(IllegalArgumentException.class, () -> LogSnrSchedule.HO_SALIMANS.lambda(1.5));
    assertThrows(IllegalArgumentException.class, () -> LogSnrSchedule.HO_SALIMANS.u(Double.NaN));
  }
}
