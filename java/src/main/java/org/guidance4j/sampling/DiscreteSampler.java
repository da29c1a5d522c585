package org.guidance4j.sampling;

import org.guidance4j.core.GuidedStepCoefficients;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.core.Grads;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.diffusion.schedule.ClassifierGuidanceFactors;
import org.guidance4j.diffusion.schedule.DdimStep;
import org.guidance4j.diffusion.schedule.DdpmStep;
import org.guidance4j.diffusion.schedule.DiscreteDiffusion;
import org.guidance4j.diffusion.schedule.LearnedRange;
import org.guidance4j.diffusion.schedule.Prediction;
import org.guidance4j.diffusion.schedule.Respacing;
import org.guidance4j.diffusion.schedule.StepCoefficients;
import org.guidance4j.diffusion.schedule.VarianceType;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.GuidedOutput;

/**
 * guided-diffusion's p_sample_loop (DDPM) and ddim_sample_loop over a respaced schedule
 * ({@code timestep_respacing}: "250", "ddim25", "10,10,5"); the network gets the original timestep
 * index. Each step is one fused kernel: guided combination, x0 (clipped when clip_denoised), and
 * the update with its noise.
 */
public final class DiscreteSampler implements Sampler {
  public enum Kind { DDPM, DDIM }

  private final Kind kind;
  private final String respacing;
  private final boolean clipDenoised;
  private final double eta;

  public DiscreteSampler(Kind kind, String respacing, boolean clipDenoised, double eta) {
    this.kind = kind;
    this.respacing = respacing;
    this.clipDenoised = clipDenoised;
    this.eta = eta;
  }

  public static DiscreteSampler ddpm(String respacing, boolean clipDenoised) {
    return new DiscreteSampler(Kind.DDPM, respacing, clipDenoised, 0);
  }

  public static DiscreteSampler ddim(String respacing, boolean clipDenoised, double eta) {
    return new DiscreteSampler(Kind.DDIM, respacing, clipDenoised, eta);
  }

  @Override
  public int steps(DiffusionModel model) {
    return Respacing.of(requireDiscrete(model).diffusion().betas(), respacing).steps();
  }

  private DiffusionModel requireDiscrete(DiffusionModel model) {
    if (!model.discrete()) {
      throw new InvalidArgumentException(
          "DiscreteSampler",
          kind.name().toLowerCase() + " needs a model trained on a discrete schedule; this one is continuous-time:"
              + " use the EDM samplers (heun, euler)");
    }
    return model;
  }

  @Override
  public String describe() {
    return kind.name().toLowerCase() + "(" + respacing + (kind == Kind.DDIM ? ", eta=" + eta : "")
        + (clipDenoised ? ", clip" : "") + ")";
  }

  /**
   * Classifier guidance after the fused step, whose update is linear in the mean (DDPM) or in x0
   * (DDIM): condition_mean adds var_t G to the mean; condition_score shifts the (clipped) x0 by
   * (1 - abar_t)/sqrt(abar_t) G, which moves the DDIM update by q0 times that.
   */
  private void applyClassifierGradient(
      Tensor x, Tensor g, DiscreteDiffusion d, int i, StepCoefficients c, VarianceType variance, Tensor std) {
    if (kind == Kind.DDPM && variance == VarianceType.LEARNED_RANGE) {
      // x += var * G with var = std^2 per element: the fused step's product term std * noise,
      // once with noise = std (giving var), once with noise = G
      GuidedStepCoefficients product = new GuidedStepCoefficients(1f, 0f, 0f, 0f, 0f, 0f, 1f);
      try (Tensor var = Ops.guidedStep(std, std, null, product, std, std);
          Tensor shift = Ops.guidedStep(g, g, null, product, g, var)) {
        Ops.axpbyInto(1f, x, 1f, shift, x);
      }
      return;
    }
    double factor =
        kind == Kind.DDPM
            ? ClassifierGuidanceFactors.meanFactor(d, i, variance)
            : c.q0() * ClassifierGuidanceFactors.scoreX0Factor(d, i);
    Ops.axpbyInto(1f, x, (float) factor, g, x);
  }

  /** The learned std is needed for the noise, and for condition_mean's var * G (also at t = 0). */
  private boolean needsStd(VarianceType variance, Tensor z, GuidedOutput g) {
    return kind == Kind.DDPM && variance == VarianceType.LEARNED_RANGE && (z != null || g.gradient() != null);
  }

  /** exp(0.5 * log var) of guided-diffusion's learned-range variance, from the model's v channels. */
  private static Tensor learnedStd(GuidedOutput g, DiscreteDiffusion d, int i) {
    LearnedRange range = LearnedRange.of(d, i);
    return Grads.learnedRangeStd(g.v(), (float) range.minLog(), (float) range.maxLog());
  }

  @Override
  public Tensor run(DiffusionModel model, Guidance guidance, Tensor x0, long[] labels, Noise noise, StepHook hook) {
    try (Guidance run = guidance.openRun()) {
      return loop(model, run, x0, labels, noise, hook);
    }
  }

  private Tensor loop(DiffusionModel model, Guidance guidance, Tensor x0, long[] labels, Noise noise, StepHook hook) {
    Respacing r = Respacing.of(requireDiscrete(model).diffusion().betas(), respacing);
    Prediction prediction = model.prediction();
    DiscreteDiffusion d = r.diffusion();
    VarianceType variance = VarianceType.fromFlags(model.learnedSigma(), model.sigmaSmall());
    int steps = r.steps();
    Tensor x = x0.copyTo(x0.device());
    try {
      for (int k = 0; k < steps; k++) {
        int i = steps - 1 - k;
        StepCoefficients c =
            kind == Kind.DDPM ? DdpmStep.of(d, i, prediction, variance) : DdimStep.of(d, i, prediction, eta);
        try (GuidedOutput g = guidance.evaluate(x, (float) r.networkTimestep(i, false), d.sigma(i), labels);
            Tensor z = c.qn() != 0 ? noise.normal(x.device(), Noise.step(k), x.shape()) : null;
            Tensor std = needsStd(variance, z, g) ? learnedStd(g, d, i) : null) {
          GuidedStepCoefficients gc =
              new GuidedStepCoefficients(
                  g.scale(), (float) c.px(), (float) c.pg(), clipDenoised ? 1f : 0f,
                  (float) c.qx(), (float) c.q0(), (float) c.qn());
          Ops.guidedStepInto(x, g.a(), g.b(), gc, z, z == null ? null : std, x, null);
          if (g.gradient() != null) {
            applyClassifierGradient(x, g.gradient(), d, i, c, variance, std);
          }
        }
        hook.afterStep(k + 1, steps, x);
      }
      return x;
    } catch (RuntimeException e) {
      x.close();
      throw e;
    }
  }
}
