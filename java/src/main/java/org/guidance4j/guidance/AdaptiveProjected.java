package org.guidance4j.guidance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.guidance4j.core.GuidanceOps;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.diffusion.schedule.Prediction;

/**
 * Adaptive projected guidance (Sadat et al. 2024, "Eliminating Oversaturation and Artifacts of
 * High Guidance Scales in Diffusion Models", Algorithm 1), a replacement for classifier-free
 * guidance at high scales. It works in the space of DENOISED predictions x0 = D(x; sigma), as the
 * paper does (whatever the model predicts, its output is mapped to x0 by the step's affine map, and
 * the result mapped back): with D_c, D_u the conditional and null-class x0 predictions,
 *
 * <pre>
 *   m      = (D_c − D_u) + beta·m_prev                       (momentum; m_prev = 0 at a run's first step)
 *   m      = m·min(1, r/||m||)                               (norm threshold r; 0: off)
 *   m_par  = (&lt;m, D_c&gt;/&lt;D_c, D_c&gt;)·D_c,  m_orth = m − m_par
 *   D      = D_c + (w − 1)·(m_orth + eta·m_par)
 * </pre>
 *
 * per sample (norms and dot products over each sample's C·H·W values), so that a sample's result
 * depends only on its own history. w is the guidance scale of CFG (w = 1: the conditional model;
 * eta = 1, r = 0, beta = 0 is exactly CFG with gamma = w); the paper uses eta = 0 and a negative
 * beta (-0.5). This is the paper's formulation D_c + (w − 1)·update; diffusers' default guider
 * ({@code use_original_formulation=False}) adds w·update to D_u instead, which differs when eta
 * is not 1.
 *
 * <p>The momentum m_prev is state of one sampling run: samplers evaluate the copy
 * {@link #openRun} makes (with its own per-sample buffer, freed by {@link #close}) and every
 * evaluation of the run updates it, as diffusers' guider does (Heun's two evaluations per step
 * both count; steps outside a guidance interval do not). Without momentum (beta = 0) the guidance
 * is stateless. The halves run as one forward of 2B; the projection is one native op on the
 * device ({@link GuidanceOps#apgInto}).
 */
public final class AdaptiveProjected implements Guidance {
  private final DiffusionModel model;
  private final float w;
  private final float eta;
  private final float normThreshold;
  private final float momentum;
  private final boolean run; // a run's copy, which owns the momentum buffer
  private Tensor buffer; // (B, C, H, W): m of the previous evaluation, or null before the first

  /**
   * @param w the guidance scale (CFG's gamma; 1 = no guidance)
   * @param eta the weight of the parallel part, in [0, 1] (paper: 0)
   * @param normThreshold r, the largest norm of the update (0: no threshold)
   * @param momentum beta (paper: -0.5; 0: none)
   */
  public AdaptiveProjected(DiffusionModel model, double w, double eta, double normThreshold, double momentum) {
    this(model, check(model, w, eta, normThreshold, momentum), (float) eta, (float) normThreshold, (float) momentum, false);
  }

  private AdaptiveProjected(DiffusionModel model, float w, float eta, float normThreshold, float momentum, boolean run) {
    this.model = model;
    this.w = w;
    this.eta = eta;
    this.normThreshold = normThreshold;
    this.momentum = momentum;
    this.run = run;
  }

  private static float check(DiffusionModel model, double w, double eta, double r, double beta) {
    String op = "AdaptiveProjected";
    if (model.nullClass() < 0) {
      throw new InvalidArgumentException(
          op, "this model has no null class: adaptive projected guidance needs a model trained with class dropout");
    }
    if (!Double.isFinite(w)) {
      throw new InvalidArgumentException(op, "scale must be finite, got " + w);
    }
    if (!(eta >= 0 && eta <= 1)) {
      throw new InvalidArgumentException(op, "eta must be in [0, 1], got " + eta);
    }
    if (!(r >= 0) || Double.isInfinite(r)) {
      throw new InvalidArgumentException(op, "the norm threshold r must be finite and >= 0 (0: off), got " + r);
    }
    if (!(beta > -1 && beta < 1)) {
      throw new InvalidArgumentException(op, "the momentum beta must be in (-1, 1), got " + beta);
    }
    return (float) w;
  }

  @Override
  public Guidance openRun() {
    return momentum == 0f ? this : new AdaptiveProjected(model, w, eta, normThreshold, momentum, true);
  }

  @Override
  public void close() {
    if (buffer != null) {
      buffer.close();
      buffer = null;
    }
  }

  /**
   * The map from model output to x0 at noise level sigma for a model input x_vp (every model's
   * input scaling), x0 = px·x_vp + pg·output, with abar = 1/(1 + sigma²).
   */
  static double[] x0Map(Prediction p, double sigma) {
    double s = Math.sqrt(1 + sigma * sigma);
    return switch (p) {
      case EPSILON -> new double[] {s, -sigma};
      case START_X -> new double[] {0, 1};
      case VELOCITY -> new double[] {1 / s, -sigma / s};
    };
  }

  @Override
  public GuidedOutput evaluate(Tensor x, float t, double sigma, long[] labels) {
    if (labels == null) {
      throw new InvalidArgumentException("AdaptiveProjected", "adaptive projected guidance needs class labels");
    }
    if (momentum != 0f && !run) {
      throw new IllegalStateException(
          "adaptive projected guidance with momentum keeps state across the steps of a run: evaluate the"
              + " guidance openRun() returns (the samplers do), not the template");
    }
    if (w == 1f) {
      return new Unguided(model).evaluate(x, t, sigma, labels);
    }
    double[] map = x0Map(model.prediction(), sigma);
    BatchedForward.Outputs o =
        BatchedForward.run(
            model, x, t, labels, List.of(BatchedForward.Group.CONDITIONAL, BatchedForward.Group.NULL_CLASS), null);
    Tensor cond = o.predictions().get(0);
    Tensor uncond = o.predictions().get(1);
    Tensor out = null;
    boolean fresh = false;
    // the model's output dtype (a half-precision network's) is the op's; x follows it
    try (Tensor xm = x.dtype() == cond.dtype() ? null : x.to(cond.dtype())) {
      Tensor momentumIn = null;
      Tensor momentumOut = null;
      if (momentum != 0f) {
        if (buffer != null && !Arrays.equals(buffer.shape(), cond.shape())) {
          throw new InvalidArgumentException(
              "AdaptiveProjected",
              "one run's batch changed shape from " + Arrays.toString(buffer.shape()) + " to "
                  + Arrays.toString(cond.shape()) + ": open a new run per batch");
        }
        momentumIn = buffer;
        if (buffer == null) {
          buffer = Tensor.empty(cond.device(), cond.dtype(), cond.shape());
          fresh = true;
        }
        momentumOut = buffer;
      }
      out = Tensor.empty(cond.device(), cond.dtype(), cond.shape());
      GuidanceOps.apgInto(
          xm != null ? xm : x, uncond, cond,
          new GuidanceOps.ApgCoefficients((float) map[0], (float) map[1], w, eta, normThreshold, momentum),
          momentumIn, momentumOut, out);
    } catch (RuntimeException e) {
      if (out != null) {
        out.close();
      }
      if (fresh) {
        close(); // a buffer never written must not pass for the previous step's
      }
      o.owners().forEach(Tensor::close);
      throw e;
    }
    List<Tensor> owned = new ArrayList<>(o.owners());
    owned.add(out);
    return new GuidedOutput(out, null, 1f, o.v(), owned);
  }

  @Override
  public int evaluations(double sigma) {
    return w == 1f ? 1 : 2;
  }

  @Override
  public String describe() {
    return "apg(scale=" + w + ", eta=" + eta + ", r=" + normThreshold + ", momentum=" + momentum + ")";
  }
}
