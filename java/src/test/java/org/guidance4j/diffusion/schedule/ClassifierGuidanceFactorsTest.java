package org.guidance4j.diffusion.schedule;

import static org.guidance4j.diffusion.schedule.Fixtures.REL;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ClassifierGuidanceFactorsTest {

  @Test
  void scoreFactorsMatchReference() {
    for (StepFixture f : StepFixture.all()) {
      Fixtures.assertRel(
          Fixtures.num(f.json(), "score_eps_factor"),
          ClassifierGuidanceFactors.scoreEpsFactor(f.diffusion(), f.t()),
          REL,
          f.name());
      Fixtures.assertRel(
          Fixtures.num(f.json(), "score_x0_factor"),
          ClassifierGuidanceFactors.scoreX0Factor(f.diffusion(), f.t()),
          REL,
          f.name());
    }
  }

  @Test
  void conditionMeanShiftsTheDdpmMeanByTheVariance() {
    for (StepFixture f : StepFixture.all()) {
      for (Map<String, Object> c : f.cases("ddpm")) {
        VarianceType var = StepFixture.variance(Fixtures.str(c, "var"));
        StepCoefficients k = DdpmStep.of(f.diffusion(), f.t(), f.prediction(), var);
        LearnedRange range = LearnedRange.of(f.diffusion(), f.t());
        for (boolean clip : new boolean[] {false, true}) {
          double[] expected = Fixtures.doubles(c.get(clip ? "clip_guided" : "noclip_guided"));
          for (int i = 0; i < expected.length; i++) {
            boolean learned = var == VarianceType.LEARNED_RANGE;
            double std = learned ? range.std(f.v()[i]) : 1.0;
            double factor =
                learned
                    ? range.variance(f.v()[i])
                    : ClassifierGuidanceFactors.meanFactor(f.diffusion(), f.t(), var);
            double x0 = k.x0(f.x()[i], f.out()[i], clip ? 1.0 : 0.0);
            double out = k.out(f.x()[i], x0, f.z()[i], std) + factor * f.grad()[i];
            double terms =
                Math.abs(k.qx() * f.x()[i])
                    + Math.abs(k.q0() * x0)
                    + Math.abs(k.q0() * k.px() * f.x()[i])
                    + Math.abs(k.q0() * k.pg() * f.out()[i])
                    + Math.abs(k.qn() * std * f.z()[i])
                    + Math.abs(factor * f.grad()[i]);
            StepFixture.check(
                expected[i],
                out,
                terms,
                f.name() + " " + var + (clip ? " clip" : "") + " guided [" + i + "]");
          }
        }
      }
    }
  }

  @Test
  void conditionScoreShiftsTheClippedX0() {
    for (StepFixture f : StepFixture.all()) {
      double shift = ClassifierGuidanceFactors.scoreX0Factor(f.diffusion(), f.t());
      for (Map<String, Object> c : f.cases("ddim")) {
        double eta = Fixtures.num(c, "eta");
        StepCoefficients k = DdimStep.of(f.diffusion(), f.t(), f.prediction(), eta);
        for (boolean clip : new boolean[] {false, true}) {
          double[] expected = Fixtures.doubles(c.get(clip ? "clip_guided" : "noclip_guided"));
          for (int i = 0; i < expected.length; i++) {
            double x0 = k.x0(f.x()[i], f.out()[i], clip ? 1.0 : 0.0) + shift * f.grad()[i];
            double out = k.out(f.x()[i], x0, f.z()[i], 1.0);
            double terms =
                DdimStepTest.terms(k, f, i, x0)
                    + Math.abs(k.q0() * shift * f.grad()[i])
                    + Math.abs(f.diffusion().sqrtRecipAlphaCumprod(f.t()) * f.x()[i]);
            StepFixture.check(
                expected[i],
                out,
                terms,
                f.name() + " eta=" + eta + (clip ? " clip" : "") + " guided [" + i + "]");
          }
        }
      }
    }
  }

  @Test
  void withoutClippingTheEpsShiftEqualsTheX0Shift() {
    DiscreteDiffusion d = Respacing.of(BetaSchedule.LINEAR.betas(1000), "250").diffusion();
    int t = 120;
    double x = 0.7, eps = -1.3, grad = 0.45;
    StepCoefficients k = DdimStep.of(d, t, Prediction.EPSILON, 0.0);
    double viaEps = k.x0(x, eps - ClassifierGuidanceFactors.scoreEpsFactor(d, t) * grad, 0);
    double viaX0 = k.x0(x, eps, 0) + ClassifierGuidanceFactors.scoreX0Factor(d, t) * grad;
    Fixtures.assertScaled(viaEps, viaX0, Math.abs(k.px() * x) + 1, 1e-14, "x0'");
  }

  @Test
  void fixedSmallHasNoMeanShiftAtTheLastStep() {
    DiscreteDiffusion d = new DiscreteDiffusion(BetaSchedule.LINEAR.betas(1000));
    assertEquals(0.0, ClassifierGuidanceFactors.meanFactor(d, 0, VarianceType.FIXED_SMALL));
    assertEquals(
        d.posteriorVariance(1),
        ClassifierGuidanceFactors.meanFactor(d, 0, VarianceType.FIXED_LARGE));
  }
}
