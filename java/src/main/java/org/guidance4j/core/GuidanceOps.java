package org.guidance4j.core;

import org.guidance4j.bindings.guidance4j_h;

/**
 * The guidance ops that depend on per-sample statistics ({@code g4j_cfg_rescale},
 * {@code g4j_apg} in native/include/guidance4j.h): every tensor is (N, ...), sample i being its
 * i-th row along dimension 0; the statistics (standard deviations, norms, dot products) are FP64
 * sums over each sample on the device, in an order that does not depend on N, so results are
 * batch-invariant. Checks and conventions as in {@link Ops}.
 */
public final class GuidanceOps {
  private GuidanceOps() {}

  /**
   * The scalars of {@link #apgInto}: x0 = px·x + pg·output is the step's map from model output to
   * x0 prediction; scale is w (the guided x0 is d(b) + (w − 1)·update), eta the weight of the
   * update's part parallel to d(b), normThreshold r (0: off), momentum beta.
   */
  public record ApgCoefficients(float px, float pg, float scale, float eta, float normThreshold, float momentum) {}

  /** Classifier-free guidance with diffusers' guidance_rescale phi, as a new tensor. */
  public static Tensor cfgRescale(Tensor a, Tensor b, float scale, float phi) {
    Check.present("GuidanceOps.cfgRescale", a, "a");
    return Ops.produce(Tensor.empty(a.device(), a.dtype(), a.shape()), out -> cfgRescaleInto(a, b, scale, phi, out));
  }

  /**
   * Per sample: g = a + scale·(b − a), out = g·(phi·std(b)/std(g) + 1 − phi), std with Bessel's
   * correction over the sample (as torch.std); a sample whose g is constant keeps g. out may be a or b.
   */
  public static Tensor cfgRescaleInto(Tensor a, Tensor b, float scale, float phi, Tensor out) {
    String op = "GuidanceOps.cfgRescale";
    long[] rows = rows(op, out);
    if (rows[1] < 2) {
      throw Check.fail(op, "each sample needs at least 2 values for a standard deviation, got " + out.describe());
    }
    Check.tensor(op, a, "a", out.device(), out.dtype());
    Check.shape(op, a, "a", out.shape());
    Check.tensor(op, b, "b", out.device(), out.dtype());
    Check.shape(op, b, "b", out.shape());
    Check.sameOrDisjoint(op, out, "out", a, "a");
    Check.sameOrDisjoint(op, out, "out", b, "b");
    Status.check(
        guidance4j_h.g4j_cfg_rescale(
            Ops.stream(out), out.dtype().code(), rows[0], rows[1], a.ptr(), b.ptr(), scale, phi, out.ptr()),
        "g4j_cfg_rescale");
    return out;
  }

  /**
   * Adaptive projected guidance on x0 predictions (see g4j_apg): with d(o) = px·x + pg·o,
   * m = d(b) − d(a) + momentum·momentumIn, the update u = t·(m − (1 − eta)·proj) where proj is m's
   * projection on d(b) and t = min(1, r/||m||) (1 when r = 0), and out = b + (scale − 1)/pg·u.
   *
   * @param x the model input (may be null when px = 0)
   * @param momentumIn the running average of the previous step, or null (none yet)
   * @param momentumOut receives m (may be null, may be momentumIn)
   * @param out may be a or b
   */
  public static Tensor apgInto(
      Tensor x, Tensor a, Tensor b, ApgCoefficients c, Tensor momentumIn, Tensor momentumOut, Tensor out) {
    String op = "GuidanceOps.apg";
    if (c == null) {
      throw Check.fail(op, "coefficients must not be null");
    }
    long[] rows = rows(op, out);
    long[] shape = out.shape();
    if (c.px() != 0f) {
      Check.tensor(op, x, "x", out.device(), out.dtype());
      Check.shape(op, x, "x", shape);
      Check.disjoint(op, out, "out", x, "x");
    }
    Check.tensor(op, a, "a", out.device(), out.dtype());
    Check.shape(op, a, "a", shape);
    Check.tensor(op, b, "b", out.device(), out.dtype());
    Check.shape(op, b, "b", shape);
    Ops.optional(op, momentumIn, "momentumIn", out, shape);
    if (momentumOut != null) {
      Check.output(op, momentumOut, "momentumOut", out.device(), out.dtype());
      Check.shape(op, momentumOut, "momentumOut", shape);
      Check.sameOrDisjoint(op, momentumOut, "momentumOut", momentumIn, "momentumIn");
      Check.disjoint(op, momentumOut, "momentumOut", a, "a");
      Check.disjoint(op, momentumOut, "momentumOut", b, "b");
      Check.disjoint(op, momentumOut, "momentumOut", c.px() != 0f ? x : null, "x");
      Check.disjoint(op, out, "out", momentumOut, "momentumOut");
    }
    Check.sameOrDisjoint(op, out, "out", a, "a");
    Check.sameOrDisjoint(op, out, "out", b, "b");
    Check.disjoint(op, out, "out", momentumIn, "momentumIn");
    Status.check(
        guidance4j_h.g4j_apg(
            Ops.stream(out), out.dtype().code(), rows[0], rows[1], c.px() != 0f ? x.ptr() : java.lang.foreign.MemorySegment.NULL,
            a.ptr(), b.ptr(), c.px(), c.pg(), c.scale(), c.eta(), c.normThreshold(), c.momentum(),
            Ops.ptrOrNull(momentumIn), Ops.ptrOrNull(momentumOut), out.ptr()),
        "g4j_apg");
    return out;
  }

  /** {samples, values per sample} of a writable output with at least one sample. */
  private static long[] rows(String op, Tensor out) {
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.minRank(op, out, "out", 1, "(N, ...)");
    long n = out.dim(0);
    if (n < 1 || out.numel() == 0) {
      throw Check.fail(op, "out must hold at least one non-empty sample, got " + out.describe());
    }
    return new long[] {n, out.numel() / n};
  }
}
