package org.guidance4j.core;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.Consumer;
import org.guidance4j.bindings.guidance4j_h;

/**
 * Input gradients of the ops a classifier is built from (the C API's "backward" section), and the
 * learned-range variance of DDPM sampling. Like {@link Ops}: each checks devices, dtypes and
 * shapes naming the argument, runs on the output's device's default stream, and has a plain form
 * that allocates its result and an {@code ...Into} form that writes a caller's tensor.
 *
 * <p>A backward op takes the forward op's inputs (or what its gradient depends on) and {@code dy},
 * the gradient with respect to the forward op's output, and returns the gradient with respect to
 * its input. Weight gradients are not computed.
 */
public final class Grads {
  private Grads() {}

  private static Tensor produce(Tensor out, Consumer<Tensor> body) {
    try {
      body.accept(out);
      return out;
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
  }

  private static MemorySegment stream(Tensor out) {
    return out.device().currentStream().handle();
  }

  private static MemorySegment ptrOrNull(Tensor t) {
    return t == null ? MemorySegment.NULL : t.ptr();
  }

  // ---- convolution ------------------------------------------------------------------------------

  /**
   * The gradient of {@link Ops#conv2d} with respect to x (B, Cin, height, width), from dy
   * (B, Cout, Ho, Wo) and weight (Cout, Cin, k, k). The input size is needed because a stride-2
   * convolution maps two input sizes to one output size.
   */
  public static Tensor conv2dBackwardInput(Tensor dy, Tensor weight, int stride, int padding, long height, long width) {
    String op = "Grads.conv2dBackwardInput";
    Check.present(op, dy, "dy");
    Check.present(op, weight, "weight");
    Check.rank(op, dy, "dy", 4, "(batch, out_channels, out_height, out_width)");
    Check.rank(op, weight, "weight", 4, "(out_channels, in_channels, k, k)");
    return produce(
        Tensor.empty(dy.device(), dy.dtype(), dy.dim(0), weight.dim(1), height, width),
        dx -> conv2dBackwardInputInto(dy, weight, stride, padding, dx));
  }

  /** As {@link #conv2dBackwardInput}, into dx (B, Cin, H, W), whose shape gives the input size. */
  public static Tensor conv2dBackwardInputInto(Tensor dy, Tensor weight, int stride, int padding, Tensor dx) {
    String op = "Grads.conv2dBackwardInput";
    Check.present(op, dx, "dx");
    Check.output(op, dx, "dx", dx.device(), dx.dtype());
    Check.rank(op, dx, "dx", 4, "(batch, in_channels, height, width)");
    Check.tensor(op, dy, "dy", dx.device(), dx.dtype());
    Check.tensor(op, weight, "weight", dx.device(), dx.dtype());
    Check.rank(op, weight, "weight", 4, "(out_channels, in_channels, k, k)");
    long k = weight.dim(2);
    if (weight.dim(3) != k || k < 1 || weight.dim(1) != dx.dim(1)) {
      throw Check.fail(
          op,
          "weight has shape " + Arrays.toString(weight.shape()) + " but expected [out_channels, " + dx.dim(1)
              + ", k, k] for dx " + Arrays.toString(dx.shape()));
    }
    Check.positive(op, "stride", stride);
    if (padding < 0) {
      throw Check.fail(op, "padding must be >= 0, got " + padding);
    }
    long h = dx.dim(2) + 2L * padding;
    long w = dx.dim(3) + 2L * padding;
    if (h < k || w < k) {
      throw Check.fail(op, "the padded input " + h + " x " + w + " is smaller than the " + k + " x " + k + " kernel");
    }
    Check.shape(op, dy, "dy", dx.dim(0), weight.dim(0), (h - k) / stride + 1, (w - k) / stride + 1);
    Check.disjoint(op, dx, "dx", dy, "dy");
    Check.disjoint(op, dx, "dx", weight, "weight");
    Status.check(
        guidance4j_h.g4j_conv2d_backward_input(
            stream(dx), dx.dtype().code(), dx.dim(0), dx.dim(1), dx.dim(2), dx.dim(3), weight.dim(0), k,
            stride, padding, dy.ptr(), weight.ptr(), dx.ptr()),
        "g4j_conv2d_backward_input");
    return dx;
  }

  // ---- normalisation ------------------------------------------------------------------------------

  /**
   * The gradient with respect to x (B, C, spatial...) of {@link Ops#groupNorm} (scaleShift null)
   * or {@link Ops#adaptiveGroupNorm} (scaleShift (B, 2C)) with the same arguments; gamma, beta and
   * scaleShift may be null as there. beta and the shift half matter only when {@code silu}.
   */
  public static Tensor groupNormBackward(
      Tensor x, int groups, float eps, Tensor gamma, Tensor beta, Tensor scaleShift, boolean silu, Tensor dy) {
    Check.present("Grads.groupNormBackward", x, "x");
    return produce(
        Tensor.empty(x.device(), x.dtype(), x.shape()),
        dx -> groupNormBackwardInto(x, groups, eps, gamma, beta, scaleShift, silu, dy, dx));
  }

  public static Tensor groupNormBackwardInto(
      Tensor x, int groups, float eps, Tensor gamma, Tensor beta, Tensor scaleShift, boolean silu, Tensor dy, Tensor dx) {
    String op = "Grads.groupNormBackward";
    Check.present(op, dx, "dx");
    Check.output(op, dx, "dx", dx.device(), dx.dtype());
    Check.tensor(op, x, "x", dx.device(), dx.dtype());
    Check.minRank(op, x, "x", 2, "(batch, channels, spatial...)");
    Check.shape(op, dx, "dx", x.shape());
    Check.tensor(op, dy, "dy", dx.device(), dx.dtype());
    Check.shape(op, dy, "dy", x.shape());
    long batch = x.dim(0);
    long channels = x.dim(1);
    long spatial = batch * channels == 0 ? 0 : x.numel() / (batch * channels);
    Check.positive(op, "groups", groups);
    if (channels % groups != 0) {
      throw Check.fail(op, "channels (" + channels + ", dim 1 of x) must be divisible by groups (" + groups + ")");
    }
    optional(op, gamma, "gamma", dx, channels);
    optional(op, beta, "beta", dx, channels);
    MemorySegment scale = MemorySegment.NULL;
    MemorySegment shift = MemorySegment.NULL;
    long ssStride = 0;
    if (scaleShift != null) {
      optional(op, scaleShift, "scaleShift", dx, batch, 2 * channels);
      scale = scaleShift.ptr();
      shift = MemorySegment.ofAddress(scaleShift.address() + channels * dx.dtype().byteSize());
      ssStride = 2 * channels;
    }
    Check.disjoint(op, dx, "dx", x, "x");
    Check.disjoint(op, dx, "dx", dy, "dy");
    Check.disjoint(op, dx, "dx", gamma, "gamma");
    Check.disjoint(op, dx, "dx", beta, "beta");
    Check.disjoint(op, dx, "dx", scaleShift, "scaleShift");
    Status.check(
        guidance4j_h.g4j_group_norm_backward(
            stream(dx), dx.dtype().code(), batch, channels, spatial, groups, eps, x.ptr(), ptrOrNull(gamma),
            ptrOrNull(beta), scale, shift, ssStride, silu ? 1 : 0, dy.ptr(), dx.ptr()),
        "g4j_group_norm_backward");
    return dx;
  }

  // ---- attention -------------------------------------------------------------------------------------

  /**
   * The gradient of {@link Ops#attention(Tensor, int, QkvLayout, float)} with respect to qkv
   * (B, 3*H*D, T), in qkv's layout, from dout (B, H*D, T).
   */
  public static Tensor attentionBackward(Tensor qkv, int heads, QkvLayout layout, float scale, Tensor dout) {
    Check.present("Grads.attentionBackward", qkv, "qkv");
    return produce(
        Tensor.empty(qkv.device(), qkv.dtype(), qkv.shape()),
        dqkv -> attentionBackwardInto(qkv, heads, layout, scale, dout, dqkv));
  }

  public static Tensor attentionBackwardInto(
      Tensor qkv, int heads, QkvLayout layout, float scale, Tensor dout, Tensor dqkv) {
    String op = "Grads.attentionBackward";
    Check.present(op, dqkv, "dqkv");
    if (layout == null) {
      throw Check.fail(op, "layout must not be null");
    }
    Check.output(op, dqkv, "dqkv", dqkv.device(), dqkv.dtype());
    Check.tensor(op, qkv, "qkv", dqkv.device(), dqkv.dtype());
    Check.rank(op, qkv, "qkv", 3, "(batch, 3 * heads * head_dim, tokens)");
    Check.positive(op, "heads", heads);
    long c = qkv.dim(1);
    if (c == 0 || c % (3L * heads) != 0) {
      throw Check.fail(op, "qkv has " + c + " channels, not a positive multiple of 3 * heads = " + 3L * heads);
    }
    long headDim = c / (3L * heads);
    long batch = qkv.dim(0);
    long tokens = qkv.dim(2);
    Check.shape(op, dqkv, "dqkv", qkv.shape());
    Check.tensor(op, dout, "dout", dqkv.device(), dqkv.dtype());
    Check.shape(op, dout, "dout", batch, heads * headDim, tokens);
    Check.disjoint(op, dqkv, "dqkv", qkv, "qkv");
    Check.disjoint(op, dqkv, "dqkv", dout, "dout");
    Status.check(
        guidance4j_h.g4j_attention_backward(
            stream(dqkv), dqkv.dtype().code(), batch, heads, headDim, tokens, layout.code(), scale, qkv.ptr(),
            dout.ptr(), dqkv.ptr()),
        "g4j_attention_backward");
    return dqkv;
  }

  // ---- resampling ---------------------------------------------------------------------------------

  /**
   * The gradient of {@link Ops#avgPool2x2} with respect to its input (..., height, width), from
   * dy (..., height / 2, width / 2); a dropped odd last row or column gets 0.
   */
  public static Tensor avgPool2x2Backward(Tensor dy, long height, long width) {
    String op = "Grads.avgPool2x2Backward";
    Check.present(op, dy, "dy");
    Check.minRank(op, dy, "dy", 2, "(..., height / 2, width / 2)");
    long[] shape = dy.shape();
    shape[shape.length - 2] = height;
    shape[shape.length - 1] = width;
    return produce(Tensor.empty(dy.device(), dy.dtype(), shape), dx -> avgPool2x2BackwardInto(dy, dx));
  }

  public static Tensor avgPool2x2BackwardInto(Tensor dy, Tensor dx) {
    String op = "Grads.avgPool2x2Backward";
    Check.present(op, dx, "dx");
    Check.output(op, dx, "dx", dx.device(), dx.dtype());
    Check.tensor(op, dy, "dy", dx.device(), dx.dtype());
    Check.minRank(op, dx, "dx", 2, "(..., height, width)");
    long h = dx.dim(-2);
    long w = dx.dim(-1);
    if (h < 2 || w < 2) {
      throw Check.fail(op, "dx " + Arrays.toString(dx.shape()) + " is smaller than one 2 x 2 window");
    }
    long[] expected = dx.shape();
    expected[expected.length - 2] = h / 2;
    expected[expected.length - 1] = w / 2;
    Check.shape(op, dy, "dy", expected);
    Check.disjoint(op, dx, "dx", dy, "dy");
    Status.check(
        guidance4j_h.g4j_avg_pool2x2_backward(stream(dx), dx.dtype().code(), dx.numel() / (h * w), h, w, dy.ptr(), dx.ptr()),
        "g4j_avg_pool2x2_backward");
    return dx;
  }

  // ---- sampler helpers -------------------------------------------------------------------------------

  /**
   * guided-diffusion's learned-range variance as a standard deviation: for the model's variance
   * output v (any shape), {@code exp(0.5 * (f * maxLog + (1 - f) * minLog))} with f = (v + 1) / 2,
   * minLog the step's clipped log posterior variance and maxLog its log beta.
   */
  public static Tensor learnedRangeStd(Tensor v, float minLog, float maxLog) {
    Check.present("Grads.learnedRangeStd", v, "v");
    return produce(Tensor.empty(v.device(), v.dtype(), v.shape()), out -> learnedRangeStdInto(v, minLog, maxLog, out));
  }

  /** See {@link #learnedRangeStd}; out may be v. */
  public static Tensor learnedRangeStdInto(Tensor v, float minLog, float maxLog, Tensor out) {
    String op = "Grads.learnedRangeStd";
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, v, "v", out.device(), out.dtype());
    Check.shape(op, v, "v", out.shape());
    Check.sameOrDisjoint(op, out, "out", v, "v");
    if (!Float.isFinite(minLog) || !Float.isFinite(maxLog)) {
      throw Check.fail(op, "minLog and maxLog must be finite, got " + minLog + " and " + maxLog);
    }
    Status.check(
        guidance4j_h.g4j_learned_range_std(stream(out), out.dtype().code(), out.numel(), v.ptr(), minLog, maxLog, out.ptr()),
        "g4j_learned_range_std");
    return out;
  }

  /** {@code t} (when present) has {@code out}'s device and dtype and the given shape. */
  private static void optional(String op, Tensor t, String name, Tensor out, long... shape) {
    if (t != null) {
      Check.tensor(op, t, name, out.device(), out.dtype());
      Check.shape(op, t, name, shape);
    }
  }
}
