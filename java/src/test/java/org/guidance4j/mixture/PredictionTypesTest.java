package org.guidance4j.mixture;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.diffusion.schedule.EdmChurn;
import org.guidance4j.diffusion.schedule.EdmSchedule;
import org.guidance4j.diffusion.schedule.Prediction;
import org.guidance4j.guidance.Autoguidance;
import org.guidance4j.guidance.ClassifierFree;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.Unguided;
import org.guidance4j.sampling.DiscreteSampler;
import org.guidance4j.sampling.EdmSampler;
import org.guidance4j.sampling.Sampler;
import org.guidance4j.sampling.SamplingRun;
import org.junit.jupiter.api.Test;

/**
 * x0- and v-prediction models run through every sampler and guidance exactly as the eps model
 * they are rewritten from: the same exact mixture reports eps, x0 = (x - sqrt(1 - abar) eps) /
 * sqrt(abar) or v = sqrt(abar) eps - sqrt(1 - abar) x0 (in double, then stored as float), and the
 * samples from the same seed must agree to float rounding. The three differ only in which
 * coefficients map the output to x0, so a wrong sign or factor for any prediction type (in the
 * discrete step coefficients or the EDM denoiser view) shows up as an O(1) difference.
 */
class PredictionTypesTest {
  static final GaussianMixture MIX = Mixtures.fourInTwoClasses();
  static final int N = 64;
  // float32 storage of the output, then an affine map whose coefficients reach 1/sqrt(abar_T) ~ 160
  // at the noisiest step of the linear schedule, compounded over the run: the agreement measured is
  // at most 2.7e-7 (CPU); an error in any coefficient moves the samples by far more
  static final double TOLERANCE = 1e-5;

  record Case(String name, Function<MixtureModel, Sampler> sampler) {}

  static final List<Case> SAMPLERS =
      List.of(
          new Case("ddpm(50)", m -> DiscreteSampler.ddpm("50", true)),
          new Case("ddim(ddim25, eta 0.5)", m -> DiscreteSampler.ddim("ddim25", true, 0.5)),
          new Case("ddim(ddim25, noclip)", m -> DiscreteSampler.ddim("ddim25", false, 0)),
          new Case("heun16", m -> new EdmSampler(true, new EdmSchedule(m.diffusion().sigma(0), 80, 7, 16), EdmChurn.EDM2_DEFAULTS)),
          new Case(
              "euler16 churn",
              m -> new EdmSampler(false, new EdmSchedule(m.diffusion().sigma(0), 80, 7, 16), new EdmChurn(10, 0, 1e9, 1))));

  interface GuidanceFactory {
    Guidance make(MixtureModel main, MixtureModel guide);
  }

  static final List<GuidanceFactory> GUIDANCE =
      List.of((m, g) -> new Unguided(m), (m, g) -> new ClassifierFree(m, 2.5), (m, g) -> new Autoguidance(m, g, 2.0));

  static float[] run(Prediction p, Case c, GuidanceFactory gf) {
    MixtureModel main = new MixtureModel(MIX, Mixtures.SHAPE, true, p);
    MixtureModel guide = new MixtureModel(MIX.broadened(1.5), Mixtures.SHAPE, true, p);
    try (Tensor out =
        SamplingRun.of(main).sampler(c.sampler().apply(main)).guidance(gf.make(main, guide)).batch(N)
            .sample(N, SamplingRun.classes(N, 0, 1), 7)) {
      return out.toFloatArray();
    }
  }

  static double relL2(float[] a, float[] b) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < a.length; i++) {
      num += (double) (a[i] - b[i]) * (a[i] - b[i]);
      den += (double) b[i] * b[i];
    }
    return Math.sqrt(num / den);
  }

  @Test
  void x0AndVPredictionsSampleAsTheirEpsModel() {
    for (Case c : SAMPLERS) {
      for (GuidanceFactory gf : GUIDANCE) {
        float[] eps = run(Prediction.EPSILON, c, gf);
        for (Prediction p : new Prediction[] {Prediction.START_X, Prediction.VELOCITY}) {
          double err = relL2(run(p, c, gf), eps);
          String what = c.name() + ", " + gf.make(new MixtureModel(MIX, Mixtures.SHAPE, true), new MixtureModel(MIX, Mixtures.SHAPE, true)).describe() + ", " + p;
          System.out.printf("%s: rel L2 to the eps model %.2e%n", what, err);
          assertTrue(err < TOLERANCE, what + ": rel L2 " + err);
        }
      }
    }
  }

  @Test
  void autoguidanceRefusesMixedPredictions() {
    DiffusionModel main = new MixtureModel(MIX, Mixtures.SHAPE, true, Prediction.EPSILON);
    DiffusionModel guide = new MixtureModel(MIX, Mixtures.SHAPE, true, Prediction.VELOCITY);
    var e = org.junit.jupiter.api.Assertions.assertThrows(
        org.guidance4j.core.InvalidArgumentException.class, () -> new Autoguidance(main, guide, 2));
    assertTrue(e.getMessage().contains("VELOCITY"), e.getMessage());
  }
}
