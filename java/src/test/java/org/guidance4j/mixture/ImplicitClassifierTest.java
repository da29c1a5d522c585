package org.guidance4j.mixture;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.guidance4j.core.Device;
import org.guidance4j.core.GuidedStepCoefficients;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.schedule.DdimStep;
import org.guidance4j.diffusion.schedule.EdmChurn;
import org.guidance4j.diffusion.schedule.EdmSchedule;
import org.guidance4j.diffusion.schedule.Prediction;
import org.guidance4j.diffusion.schedule.Respacing;
import org.guidance4j.diffusion.schedule.StepCoefficients;
import org.guidance4j.guidance.ClassifierFree;
import org.guidance4j.guidance.ClassifierGradient;
import org.guidance4j.guidance.ClassifierGuidance;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.GuidedOutput;
import org.guidance4j.guidance.Unguided;
import org.guidance4j.sampling.DiscreteSampler;
import org.guidance4j.sampling.EdmSampler;
import org.guidance4j.sampling.Sampler;
import org.guidance4j.sampling.SamplingRun;
import org.junit.jupiter.api.Test;

/**
 * The implicit-classifier identity of classifier-free guidance, exact for the mixture: the
 * classifier p(c | x_t) = p_t(x | c) p(c) / p_t(x) has grad_x log p(c | x_t) = score_c - score_uncond,
 * so CFG's eps_u + gamma (eps_c - eps_u) equals classifier guidance in score form on the
 * unconditional model, eps_u - sqrt(1 - abar) gamma grad log p(c | x_t). Checked for one DDIM step
 * (10-step spacing, from t = 300) through the library's {@link ClassifierFree} and fused step against that classifier-guided step
 * computed in double, and gamma = 1 against the conditional model alone.
 *
 * <p>Tolerance of the float32 step, per element: 16 u (|qx x| + |q0| (|px x| + |pg| ((1 + gamma)
 * |eps_u| + gamma |eps_c|))) with u = 2^-24: every term of the step is rounded a few times (the
 * stored eps, the difference, the product with gamma, the x0 and the update, and the float
 * coefficients), each at most u relative to the magnitudes that bound lists.
 */
class ImplicitClassifierTest {
  static final GaussianMixture MIX = Mixtures.fourInTwoClasses();
  static final double U = Math.scalb(1.0, -24);
  static final int N = 6;
  static final long[] LABELS = {0, 1, 0, 1, 1, 0};

  /** x_t drawn from the noised mixture at abar: component by weight, then a mu + b n. */
  static double[][] noisedSamples(double abar, long seed) {
    Random rng = new Random(seed);
    double[][] x = new double[N][MIX.dim];
    double[] w = MIX.viewWeights(-1);
    for (int i = 0; i < N; i++) {
      double u = rng.nextDouble();
      int k = 0;
      double acc = w[0];
      while (u > acc && k < w.length - 1) {
        k++;
        acc += w[k];
      }
      double[] mu = MIX.componentMean(k);
      for (int d = 0; d < MIX.dim; d++) {
        x[i][d] = Math.sqrt(abar) * (mu[d] + 0.25 * rng.nextGaussian()) + Math.sqrt(1 - abar) * rng.nextGaussian();
      }
    }
    return x;
  }

  @Test
  void classifierGradientIsTheScoreDifference() {
    double h = 1e-5;
    for (int t : new int[] {50, 300, 700}) {
      double abar = new MixtureModel(MIX, Mixtures.SHAPE, true).abar(t);
      for (double[] x : noisedSamples(abar, t)) {
        for (int c = 0; c < 2; c++) {
          double[] sc = MIX.score(x, abar, MIX.viewWeights(c));
          double[] su = MIX.score(x, abar, MIX.viewWeights(-1));
          for (int d = 0; d < MIX.dim; d++) {
            double[] xp = x.clone();
            double[] xm = x.clone();
            xp[d] += h;
            xm[d] -= h;
            // log p(c | x) = log sum_{k in c} w_k N_k(x) - log sum_k w_k N_k(x)
            double fd = (logPosterior(xp, abar, c) - logPosterior(xm, abar, c)) / (2 * h);
            double exact = sc[d] - su[d];
            // central difference: O(h^2) truncation and 1e-16 / h rounding, both far below 1e-7
            assertTrue(Math.abs(fd - exact) <= 1e-7 * (1 + Math.abs(exact)), "t " + t + " d " + d + ": " + fd + " vs " + exact);
          }
        }
      }
    }
  }

  static double logPosterior(double[] x, double abar, int c) {
    return MIX.logDensity(x, abar, MIX.viewWeights(c)) - MIX.logDensity(x, abar, MIX.viewWeights(-1));
  }

  @Test
  void cfgEqualsClassifierGuidanceOnTheUnconditionalModel() {
    MixtureModel model = new MixtureModel(MIX, Mixtures.SHAPE, true);
    int t = 300;
    double abar = model.abar(t);
    assertTrue(Math.abs(abar - model.diffusion().alphaCumprod(t)) < 1e-12, "the model's abar is the schedule's");
    double[][] x = noisedSamples(abar, 7);
    // a step of a 10-step DDIM (timesteps 0, 100, ..., 900) from t = 300 to 200: large enough
    // that guidance visibly moves it
    Respacing r = Respacing.of(model.diffusion().betas(), "ddim10");
    int spaced = 3;
    assertTrue(r.originalTimestep(spaced) == t && Math.abs(r.diffusion().alphaCumprod(spaced) - abar) < 1e-12);
    StepCoefficients c = DdimStep.of(r.diffusion(), spaced, Prediction.EPSILON, 0.0);
    double[] unguided = null;
    for (double gamma : new double[] {1, 2, 4}) {
      double[] want = new double[N * MIX.dim];
      double[] bound = new double[N * MIX.dim];
      for (int i = 0; i < N; i++) {
        double[] eu = MIX.eps(x[i], abar, MIX.viewWeights(-1));
        double[] ec = MIX.eps(x[i], abar, MIX.viewWeights((int) LABELS[i]));
        double[] sc = MIX.score(x[i], abar, MIX.viewWeights((int) LABELS[i]));
        double[] su = MIX.score(x[i], abar, MIX.viewWeights(-1));
        for (int d = 0; d < MIX.dim; d++) {
          double xi = (float) x[i][d];
          // classifier guidance (condition_score) with scale gamma on the unconditional model
          double eps = eu[d] - Math.sqrt(1 - abar) * gamma * (sc[d] - su[d]);
          want[i * MIX.dim + d] = c.out(xi, c.x0(xi, eps, 0), 0, 1);
          bound[i * MIX.dim + d] =
              16 * U * (Math.abs(c.qx() * xi) + Math.abs(c.q0()) * (Math.abs(c.px() * xi)
                  + Math.abs(c.pg()) * ((1 + gamma) * Math.abs(eu[d]) + gamma * Math.abs(ec[d]))));
        }
      }
      float[] got = step(model, new ClassifierFree(model, gamma), x, t, c);
      double worst = assertClose("cfg gamma " + gamma, got, want, bound);
      System.out.printf("cfg gamma %.0f vs classifier guidance: worst %.2f of the rounding bound%n", gamma, worst);
      if (gamma == 1) {
        float[] conditional = step(model, new Unguided(model), x, t, c);
        assertClose("cfg gamma 1 vs the conditional model", got, toDouble(conditional), bound);
        unguided = toDouble(conditional);
      } else {
        // the identity is not vacuous: guidance moves the step far beyond the rounding bound
        double moved = 0;
        double maxBound = 0;
        for (int e = 0; e < got.length; e++) {
          moved = Math.max(moved, Math.abs(got[e] - unguided[e]));
          maxBound = Math.max(maxBound, bound[e]);
        }
        System.out.printf("  gamma %.0f moves the step by up to %.3g (rounding bound up to %.3g)%n", gamma, moved, maxBound);
        assertTrue(moved > 1e3 * maxBound, "gamma " + gamma + " barely moves the step: " + moved);
      }
    }
  }

  /**
   * Whole runs: CFG with gamma on the conditional model against the library's classifier guidance
   * with scale gamma on the unconditional model and the exact mixture classifier. guided-diffusion's
   * condition_score (DDIM) and EDM's D + sigma^2 grad log p make these the same sampler in exact
   * arithmetic (without clipping: condition_score shifts the already clipped x0; and not for DDPM,
   * whose condition_mean adds var_t G where CFG's shift is beta_t / sqrt(alpha_t) G). In float32 the
   * two differ by how their roundings propagate: after 20 DDIM or 16 Heun steps about 1e-7 to 1e-6
   * (relative L2, printed), so 1e-5 is the bound; a classifier-guidance factor off by 1% moves the
   * DDIM run by 2e-3 and the Heun run by 4e-3 (checked by hand).
   */
  @Test
  void cfgRunEqualsClassifierGuidedRun() {
    MixtureModel conditional = new MixtureModel(MIX, Mixtures.SHAPE, true);
    MixtureModel unconditional = new MixtureModel(MIX, Mixtures.SHAPE, false);
    ClassifierGradient classifier = exactClassifier(unconditional);
    int n = 64;
    long[] labels = SamplingRun.classes(n, 0, 1);
    Sampler[] samplers = {
      DiscreteSampler.ddim("ddim20", false, 0.5),
      new EdmSampler(true, new EdmSchedule(conditional.diffusion().sigma(0), 80, 7, 16), EdmChurn.EDM2_DEFAULTS),
    };
    for (Sampler s : samplers) {
      for (double gamma : new double[] {2, 4}) {
        float[] cfg = run(conditional, s, new ClassifierFree(conditional, gamma), labels, 9);
        float[] cg = run(unconditional, s, new ClassifierGuidance(new Unguided(unconditional), classifier, gamma), labels, 9);
        float[] plain = run(conditional, s, new Unguided(conditional), labels, 9);
        double err = relL2(cfg, cg);
        System.out.printf("%s, gamma %.0f: CFG vs classifier guidance rel L2 %.2e (guidance itself moves the run by %.2e)%n",
            s.describe(), gamma, err, relL2(cfg, plain));
        assertTrue(err < 1e-5, s.describe() + " gamma " + gamma + ": relative L2 " + err);
      }
    }
  }

  /** grad_x log p(c | x_t) of the mixture at the network timestep: score_c - score_uncond. */
  static ClassifierGradient exactClassifier(MixtureModel model) {
    return (x, timesteps, labels) -> {
      int n = (int) x.dim(0);
      float[] in = x.toFloatArray();
      float[] out = new float[in.length];
      double[] row = new double[MIX.dim];
      for (int i = 0; i < n; i++) {
        for (int d = 0; d < MIX.dim; d++) {
          row[d] = in[i * MIX.dim + d];
        }
        double abar = model.abar(timesteps[i]);
        double[] sc = MIX.score(row, abar, MIX.viewWeights((int) labels[i]));
        double[] su = MIX.score(row, abar, MIX.viewWeights(-1));
        for (int d = 0; d < MIX.dim; d++) {
          out[i * MIX.dim + d] = (float) (sc[d] - su[d]);
        }
      }
      return Tensor.fromArray(x.device(), out, x.shape());
    };
  }

  static float[] run(MixtureModel model, Sampler s, Guidance g, long[] labels, long seed) {
    try (Tensor out = SamplingRun.of(model).sampler(s).guidance(g).batch(labels.length).sample(labels.length, labels, seed)) {
      return out.toFloatArray();
    }
  }

  static double relL2(float[] a, float[] b) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < a.length; i++) {
      double d = a[i] - b[i];
      num += d * d;
      den += (double) b[i] * b[i];
    }
    return Math.sqrt(num / den);
  }

  /** One DDIM step of the guided eps through the fused kernel. */
  static float[] step(MixtureModel model, Guidance guidance, double[][] x, int t, StepCoefficients c) {
    float[] flat = new float[N * MIX.dim];
    for (int i = 0; i < N; i++) {
      for (int d = 0; d < MIX.dim; d++) {
        flat[i * MIX.dim + d] = (float) x[i][d];
      }
    }
    long[] shape = {N, Mixtures.SHAPE[0], Mixtures.SHAPE[1], Mixtures.SHAPE[2]};
    try (Tensor xt = Tensor.fromArray(Device.cpu(), flat, shape);
        GuidedOutput g = guidance.evaluate(xt, t, model.diffusion().sigma(t), LABELS)) {
      GuidedStepCoefficients gc =
          new GuidedStepCoefficients(
              g.scale(), (float) c.px(), (float) c.pg(), 0f, (float) c.qx(), (float) c.q0(), 0f);
      try (Tensor out = Ops.guidedStep(xt, g.a(), g.b(), gc, null, null)) {
        return out.toFloatArray();
      }
    }
  }

  static double assertClose(String what, float[] got, double[] want, double[] bound) {
    double worst = 0;
    for (int e = 0; e < want.length; e++) {
      double dev = Math.abs(got[e] - want[e]);
      assertTrue(dev <= bound[e], what + ": element " + e + ": " + got[e] + " vs " + want[e] + " (bound " + bound[e] + ")");
      worst = Math.max(worst, dev / bound[e]);
    }
    return worst;
  }

  static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}
