package org.guidance4j.core;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.Consumer;
import org.guidance4j.bindings.guidance4j_h;

/**
 * One static method per op of the C API (native/include/guidance4j.h has the exact semantics).
 *
 * <p>Each op checks devices, dtypes and shapes here, naming the argument, then calls native
 * code on the output's device's default stream. The plain form allocates and returns its output
 * (the caller closes it); the {@code ...Into} form writes a caller's {@code out} and returns it.
 * The op's dtype is its output's; every other tensor must have it unless the method says otherwise.
 */
public final class Ops {
  private Ops() {}

  /** Allocates {@code out}, runs {@code body} on it, frees it if the body fails. */
  static Tensor produce(Tensor out, Consumer<Tensor> body) {
    try {
      body.accept(out);
      return out;
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
  }

  static MemorySegment stream(Tensor out) {
    return out.device().currentStream().handle();
  }

  static MemorySegment ptrOrNull(Tensor t) {
    return t == null ? MemorySegment.NULL : t.ptr();
  }

  /** {@code t} (when present) has {@code out}'s device and dtype and the given shape. */
  static void optional(String op, Tensor t, String name, Tensor out, long... shape) {
    if (t != null) {
      Check.tensor(op, t, name, out.device(), out.dtype());
      Check.shape(op, t, name, shape);
    }
  }

  // ---- elementwise and conversion -----------------------------------------------------------

  /** {@code x} converted to {@code dtype}, on x's device. */
  public static Tensor cast(Tensor x, DType dtype) {
    Check.present("Ops.cast", x, "x");
    return produce(Tensor.empty(x.device(), dtype, x.shape()), out -> castInto(x, out));
  }

  /** Converts {@code x} into {@code out} (same shape, any two dtypes). */
  public static Tensor castInto(Tensor x, Tensor out) {
    String op = "Ops.cast";
    Check.present(op, out, "out");
    Check.tensor(op, x, "x", out.device(), x.dtype());
    Check.output(op, out, "out", x.device(), out.dtype());
    Check.shape(op, out, "out", x.shape());
    Check.disjoint(op, out, "out", x, "x");
    Status.check(
        guidance4j_h.g4j_cast(stream(out), x.dtype().code(), x.ptr(), out.dtype().code(), out.ptr(), x.numel()),
        "g4j_cast");
    return out;
  }

  /** Sets every element of {@code out} to {@code value}. */
  public static Tensor fill(Tensor out, float value) {
    Check.present("Ops.fill", out, "out");
    Check.output("Ops.fill", out, "out", out.device(), out.dtype());
    Status.check(
        guidance4j_h.g4j_fill(stream(out), out.dtype().code(), out.numel(), value, out.ptr()), "g4j_fill");
    return out;
  }

  /** {@code alpha * x + beta * y}; y may be null when beta == 0. */
  public static Tensor axpby(float alpha, Tensor x, float beta, Tensor y) {
    Check.present("Ops.axpby", x, "x");
    return produce(Tensor.empty(x.device(), x.dtype(), x.shape()), out -> axpbyInto(alpha, x, beta, y, out));
  }

  /** out = alpha * x + beta * y; out may be x or y. */
  public static Tensor axpbyInto(float alpha, Tensor x, float beta, Tensor y, Tensor out) {
    return axpby("Ops.axpby", alpha, x, "x", beta, y, "y", out);
  }

  private static Tensor axpby(
      String op, float alpha, Tensor x, String xName, float beta, Tensor y, String yName, Tensor out) {
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, x, xName, out.device(), out.dtype());
    Check.shape(op, x, xName, out.shape());
    if (y == null && beta != 0f) {
      throw Check.fail(op, yName + " is null but beta is " + beta + " (it may be null only when beta == 0)");
    }
    optional(op, y, yName, out, out.shape());
    Check.sameOrDisjoint(op, out, "out", x, xName);
    Check.sameOrDisjoint(op, out, "out", y, yName);
    Status.check(
        guidance4j_h.g4j_axpby(
            stream(out), out.dtype().code(), out.numel(), alpha, x.ptr(), beta, ptrOrNull(y), out.ptr()),
        "g4j_axpby");
    return out;
  }

  public static Tensor add(Tensor a, Tensor b) {
    Check.present("Ops.add", a, "a");
    return produce(Tensor.empty(a.device(), a.dtype(), a.shape()), out -> addInto(a, b, out));
  }

  /** out = a + b; out may be a or b. */
  public static Tensor addInto(Tensor a, Tensor b, Tensor out) {
    Check.present("Ops.add", b, "b");
    return axpby("Ops.add", 1f, a, "a", 1f, b, "b", out);
  }

  public static Tensor scale(Tensor x, float s) {
    return axpby(s, x, 0f, null);
  }

  /** out = s * x; out may be x. */
  public static Tensor scaleInto(Tensor x, float s, Tensor out) {
    return axpby("Ops.scale", s, x, "x", 0f, null, "y", out);
  }

  /** x * sigmoid(x). */
  public static Tensor silu(Tensor x) {
    Check.present("Ops.silu", x, "x");
    return produce(Tensor.empty(x.device(), x.dtype(), x.shape()), out -> siluInto(x, out));
  }

  /** out = x * sigmoid(x); out may be x. */
  public static Tensor siluInto(Tensor x, Tensor out) {
    String op = "Ops.silu";
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, x, "x", out.device(), out.dtype());
    Check.shape(op, x, "x", out.shape());
    Check.sameOrDisjoint(op, out, "out", x, "x");
    Status.check(
        guidance4j_h.g4j_silu(stream(out), out.dtype().code(), out.numel(), x.ptr(), out.ptr()), "g4j_silu");
    return out;
  }

  /**
   * x (B, C, spatial...) plus a per-channel bias: {@code bias} is (C) or (1, C) for all samples,
   * or (B, K) with K >= C for one row per sample (its first C entries; ADM's emb_out).
   */
  public static Tensor addChannelBias(Tensor x, Tensor bias) {
    Check.present("Ops.addChannelBias", x, "x");
    return produce(Tensor.empty(x.device(), x.dtype(), x.shape()), out -> addChannelBiasInto(x, bias, out));
  }

  /** See {@link #addChannelBias}; out may be x. */
  public static Tensor addChannelBiasInto(Tensor x, Tensor bias, Tensor out) {
    String op = "Ops.addChannelBias";
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, x, "x", out.device(), out.dtype());
    Check.minRank(op, x, "x", 2, "(batch, channels, spatial...)");
    Check.shape(op, x, "x", out.shape());
    Check.tensor(op, bias, "bias", out.device(), out.dtype());
    long batch = x.dim(0);
    long channels = x.dim(1);
    long spatial = batch * channels == 0 ? 0 : x.numel() / (batch * channels);
    boolean shared;
    if (bias.rank() == 1 && bias.dim(0) == channels) {
      shared = true;
    } else if (bias.rank() == 2 && bias.dim(0) == 1 && bias.dim(1) >= channels) {
      shared = true;
    } else if (bias.rank() == 2 && bias.dim(0) == batch && bias.dim(1) >= channels) {
      shared = false;
    } else {
      throw Check.fail(
          op,
          "bias has shape " + Arrays.toString(bias.shape()) + " but expected [" + channels + "], [1, >= "
              + channels + "] or [" + batch + ", >= " + channels + "] for x " + Arrays.toString(x.shape()));
    }
    Check.sameOrDisjoint(op, out, "out", x, "x");
    Check.disjoint(op, out, "out", bias, "bias");
    long stride = bias.dim(-1);
    if (!shared || batch <= 1) {
      Status.check(
          guidance4j_h.g4j_add_channel_bias(
              stream(out), out.dtype().code(), batch, channels, spatial, x.ptr(), bias.ptr(), stride, out.ptr()),
          "g4j_add_channel_bias");
      return out;
    }
    // The C API reads one bias row per sample (bias_stride >= channels): one call per sample
    // gives every sample the shared row.
    long sampleBytes = channels * spatial * out.dtype().byteSize();
    for (long b = 0; b < batch; b++) {
      Status.check(
          guidance4j_h.g4j_add_channel_bias(
              stream(out), out.dtype().code(), 1, channels, spatial,
              MemorySegment.ofAddress(x.address() + b * sampleBytes), bias.ptr(), stride,
              MemorySegment.ofAddress(out.address() + b * sampleBytes)),
          "g4j_add_channel_bias");
    }
    return out;
  }

  /**
   * x (B, C, spatial...) plus columns [column, column + C) of {@code rows} (B, K) as a per-sample,
   * per-channel bias: one block's emb_out among every ResBlock's, side by side.
   */
  public static Tensor addChannelBias(Tensor x, Tensor rows, long column) {
    String op = "Ops.addChannelBias";
    Check.present(op, x, "x");
    Check.present(op, rows, "rows");
    Check.minRank(op, x, "x", 2, "(batch, channels, spatial...)");
    Check.tensor(op, rows, "rows", x.device(), x.dtype());
    long batch = x.dim(0);
    long channels = x.dim(1);
    if (column < 0 || rows.rank() != 2 || rows.dim(0) != batch || rows.dim(1) < column + channels) {
      throw Check.fail(
          op,
          "rows has shape " + Arrays.toString(rows.shape()) + " but needs [" + batch + ", >= " + (column + channels)
              + "] for columns [" + column + ", " + (column + channels) + ") (column >= 0)");
    }
    return produce(Tensor.empty(x.device(), x.dtype(), x.shape()), out -> {
      long spatial = batch * channels == 0 ? 0 : x.numel() / (batch * channels);
      if (out.numel() == 0) {
        return;
      }
      Status.check(
          guidance4j_h.g4j_add_channel_bias(
              stream(out), out.dtype().code(), batch, channels, spatial, x.ptr(),
              MemorySegment.ofAddress(rows.address() + column * out.dtype().byteSize()), rows.dim(1), out.ptr()),
          "g4j_add_channel_bias");
    });
  }

  /**
   * x (B, C, spatial...) times a per-channel factor: {@code scale} is (C) or (1, C) for all
   * samples, or (B, K) with K >= C for one row per sample (its first C entries). With x viewed as
   * (B, 1, rest) and scale (B, 1) it scales each sample by its own factor.
   */
  public static Tensor scaleChannels(Tensor x, Tensor scale) {
    Check.present("Ops.scaleChannels", x, "x");
    return produce(Tensor.empty(x.device(), x.dtype(), x.shape()), out -> scaleChannelsInto(x, scale, out));
  }

  /** See {@link #scaleChannels}; out may be x (never scale). */
  public static Tensor scaleChannelsInto(Tensor x, Tensor scale, Tensor out) {
    String op = "Ops.scaleChannels";
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, x, "x", out.device(), out.dtype());
    Check.minRank(op, x, "x", 2, "(batch, channels, spatial...)");
    Check.shape(op, x, "x", out.shape());
    Check.tensor(op, scale, "scale", out.device(), out.dtype());
    long batch = x.dim(0);
    long channels = x.dim(1);
    long spatial = batch * channels == 0 ? 0 : x.numel() / (batch * channels);
    long stride;
    if (scale.rank() == 1 && scale.dim(0) == channels) {
      stride = 0;
    } else if (scale.rank() == 2 && scale.dim(0) == 1 && scale.dim(1) >= channels) {
      stride = 0;
    } else if (scale.rank() == 2 && scale.dim(0) == batch && scale.dim(1) >= channels) {
      stride = batch == 1 ? 0 : scale.dim(1);
    } else {
      throw Check.fail(
          op,
          "scale has shape " + Arrays.toString(scale.shape()) + " but expected [" + channels + "], [1, >= "
              + channels + "] or [" + batch + ", >= " + channels + "] for x " + Arrays.toString(x.shape()));
    }
    Check.sameOrDisjoint(op, out, "out", x, "x");
    Check.disjoint(op, out, "out", scale, "scale");
    if (out.numel() == 0) {
      return out;
    }
    Status.check(
        guidance4j_h.g4j_scale_channels(
            stream(out), out.dtype().code(), batch, channels, spatial, x.ptr(), scale.ptr(), stride, out.ptr()),
        "g4j_scale_channels");
    return out;
  }

  /** x clamped to [lo, hi] elementwise (NaN stays NaN), as torch.clamp. */
  public static Tensor clamp(Tensor x, float lo, float hi) {
    Check.present("Ops.clamp", x, "x");
    return produce(Tensor.empty(x.device(), x.dtype(), x.shape()), out -> clampInto(x, lo, hi, out));
  }

  /** out = clamp(x, lo, hi); out may be x. */
  public static Tensor clampInto(Tensor x, float lo, float hi, Tensor out) {
    String op = "Ops.clamp";
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, x, "x", out.device(), out.dtype());
    Check.shape(op, x, "x", out.shape());
    if (Float.isNaN(lo) || Float.isNaN(hi) || !(lo <= hi)) {
      throw Check.fail(op, "need lo <= hi (neither NaN), got lo " + lo + ", hi " + hi);
    }
    Check.sameOrDisjoint(op, out, "out", x, "x");
    Status.check(
        guidance4j_h.g4j_clamp(stream(out), out.dtype().code(), out.numel(), lo, hi, x.ptr(), out.ptr()),
        "g4j_clamp");
    return out;
  }

  /** clamp(alpha * x + beta * y, lo, hi) (NaN stays NaN): EDM2's mp_sum followed by clip_act. */
  public static Tensor axpbyClamp(float alpha, Tensor x, float beta, Tensor y, float lo, float hi) {
    Check.present("Ops.axpbyClamp", x, "x");
    return produce(Tensor.empty(x.device(), x.dtype(), x.shape()), out -> axpbyClampInto(alpha, x, beta, y, lo, hi, out));
  }

  /** out = clamp(alpha * x + beta * y, lo, hi); out may be x or y. */
  public static Tensor axpbyClampInto(float alpha, Tensor x, float beta, Tensor y, float lo, float hi, Tensor out) {
    String op = "Ops.axpbyClamp";
    Check.present(op, out, "out");
    Check.present(op, y, "y");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, x, "x", out.device(), out.dtype());
    Check.tensor(op, y, "y", out.device(), out.dtype());
    Check.shape(op, x, "x", out.shape());
    Check.shape(op, y, "y", out.shape());
    if (Float.isNaN(lo) || Float.isNaN(hi) || !(lo <= hi)) {
      throw Check.fail(op, "need lo <= hi (neither NaN), got lo " + lo + ", hi " + hi);
    }
    Check.sameOrDisjoint(op, out, "out", x, "x");
    Check.sameOrDisjoint(op, out, "out", y, "y");
    Status.check(
        guidance4j_h.g4j_axpby_clamp(
            stream(out), out.dtype().code(), out.numel(), alpha, x.ptr(), beta, y.ptr(), lo, hi, out.ptr()),
        "g4j_axpby_clamp");
    return out;
  }

  /**
   * EDM2's mp_cat and its residual branch's (1 + emb) scale, with the mp_silu that reads them, in
   * one pass: y = cat(a, b) along dim 1 (b null: a alone) times a per-channel factor, written to
   * {@code out} and silu(y) to {@code siluOut} (either may be null, not both). {@code scale} is
   * (C) or (1, >= C) for every sample, (B, >= C) with one row per sample (its first C entries), or
   * null (factor 1). With b null either output may be a; otherwise both are new memory.
   */
  public static void concatScaleInto(Tensor a, Tensor b, Tensor scale, Tensor out, Tensor siluOut) {
    concatScaleInto(a, b, scale, -1, out, siluOut);
  }

  /**
   * {@link #concatScaleInto(Tensor, Tensor, Tensor, Tensor, Tensor)} with the factors at columns
   * [scaleColumn, scaleColumn + C) of per-sample rows {@code scale} (B, K): one block's share of
   * every block's scales, side by side.
   */
  public static void concatScaleInto(Tensor a, Tensor b, Tensor scale, long scaleColumn, Tensor out, Tensor siluOut) {
    String op = "Ops.concatScale";
    Check.present(op, a, "a");
    Check.minRank(op, a, "a", 2, "(batch, channels, spatial...)");
    if (out == null && siluOut == null) {
      throw Check.fail(op, "out and siluOut are both null: nothing to write");
    }
    Tensor any = out != null ? out : siluOut;
    Check.output(op, any, out != null ? "out" : "siluOut", any.device(), any.dtype());
    Check.tensor(op, a, "a", any.device(), any.dtype());
    long batch = a.dim(0);
    long ca = a.dim(1);
    long cb = 0;
    if (b != null) {
      Check.tensor(op, b, "b", any.device(), any.dtype());
      long[] expectB = a.shape();
      expectB[1] = b.rank() >= 2 ? b.dim(1) : -1;
      Check.shape(op, b, "b", expectB);
      cb = b.dim(1);
    }
    long[] shape = a.shape();
    shape[1] = ca + cb;
    long channels = ca + cb;
    if (out != null) {
      Check.output(op, out, "out", any.device(), any.dtype());
      Check.shape(op, out, "out", shape);
    }
    if (siluOut != null) {
      Check.output(op, siluOut, "siluOut", any.device(), any.dtype());
      Check.shape(op, siluOut, "siluOut", shape);
    }
    long stride = 0;
    MemorySegment scalePtr = ptrOrNull(scale);
    if (scale != null && scaleColumn >= 0) {
      Check.tensor(op, scale, "scale", any.device(), any.dtype());
      if (scale.rank() != 2 || scale.dim(0) != batch || scale.dim(1) < scaleColumn + channels) {
        throw Check.fail(
            op,
            "scale has shape " + Arrays.toString(scale.shape()) + " but needs [" + batch + ", >= "
                + (scaleColumn + channels) + "] for columns [" + scaleColumn + ", " + (scaleColumn + channels) + ")");
      }
      stride = batch == 1 ? 0 : scale.dim(1);
      scalePtr = MemorySegment.ofAddress(scale.address() + scaleColumn * any.dtype().byteSize());
    } else if (scale != null) {
      Check.tensor(op, scale, "scale", any.device(), any.dtype());
      if (scale.rank() == 1 && scale.dim(0) == channels) {
        stride = 0;
      } else if (scale.rank() == 2 && scale.dim(0) == 1 && scale.dim(1) >= channels) {
        stride = 0;
      } else if (scale.rank() == 2 && scale.dim(0) == batch && scale.dim(1) >= channels) {
        stride = batch == 1 ? 0 : scale.dim(1);
      } else {
        throw Check.fail(
            op,
            "scale has shape " + Arrays.toString(scale.shape()) + " but expected [" + channels + "], [1, >= "
                + channels + "] or [" + batch + ", >= " + channels + "] for " + Arrays.toString(shape));
      }
    }
    if (out != null && siluOut != null) {
      Check.disjoint(op, siluOut, "siluOut", out, "out");
    }
    for (Tensor o : new Tensor[] {out, siluOut}) {
      if (o == null) {
        continue;
      }
      String name = o == out ? "out" : "siluOut";
      if (b == null) {
        Check.sameOrDisjoint(op, o, name, a, "a");
      } else {
        Check.disjoint(op, o, name, a, "a");
        Check.disjoint(op, o, name, b, "b");
      }
      Check.disjoint(op, o, name, scale, "scale");
    }
    if (any.numel() == 0) {
      return;
    }
    long spatial = a.numel() / (batch * ca);
    Status.check(
        guidance4j_h.g4j_concat_scale(
            stream(any), any.dtype().code(), batch, ca, cb, spatial, a.ptr(), ptrOrNull(b), scalePtr, stride,
            ptrOrNull(out), ptrOrNull(siluOut)),
        "g4j_concat_scale");
  }

  /**
   * (B, Ca, spatial...) and (B, Cb, spatial...) joined along dim 1 into (B, Ca + Cb, spatial...):
   * U-Net skip connections ({@code th.cat([h, skip], dim=1)}), by strided copies, no kernel.
   */
  public static Tensor concatChannels(Tensor a, Tensor b) {
    String op = "Ops.concatChannels";
    Check.present(op, a, "a");
    Check.present(op, b, "b");
    Check.minRank(op, a, "a", 2, "(batch, channels, spatial...)");
    long[] shape = a.shape();
    shape[1] += b.rank() >= 2 ? b.dim(1) : 0;
    return produce(Tensor.empty(a.device(), a.dtype(), shape), out -> concatChannelsInto(a, b, out));
  }

  public static Tensor concatChannelsInto(Tensor a, Tensor b, Tensor out) {
    String op = "Ops.concatChannels";
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, a, "a", out.device(), out.dtype());
    Check.tensor(op, b, "b", out.device(), out.dtype());
    Check.minRank(op, a, "a", 2, "(batch, channels, spatial...)");
    long[] expectB = a.shape();
    expectB[1] = b.rank() >= 2 ? b.dim(1) : -1;
    Check.shape(op, b, "b", expectB);
    long[] expectOut = a.shape();
    expectOut[1] = a.dim(1) + b.dim(1);
    Check.shape(op, out, "out", expectOut);
    Check.disjoint(op, out, "out", a, "a");
    Check.disjoint(op, out, "out", b, "b");
    long batch = a.dim(0);
    long rowA = batch == 0 ? 0 : a.byteSize() / batch;
    long rowB = batch == 0 ? 0 : b.byteSize() / batch;
    copyRows(out, 0, rowA + rowB, a, 0, rowA, rowA, batch);
    copyRows(out, rowA, rowA + rowB, b, 0, rowB, rowB, batch);
    return out;
  }

  /** Channels [start, start + count) of x (B, C, spatial...) as a new (B, count, spatial...) tensor. */
  public static Tensor narrowChannels(Tensor x, long start, long count) {
    String op = "Ops.narrowChannels";
    Check.present(op, x, "x");
    Check.minRank(op, x, "x", 2, "(batch, channels, spatial...)");
    if (start < 0 || count < 0 || start + count > x.dim(1)) {
      throw Check.fail(op, "channels [" + start + ", " + (start + count) + ") out of range for x " + Arrays.toString(x.shape()));
    }
    long[] shape = x.shape();
    shape[1] = count;
    return produce(
        Tensor.empty(x.device(), x.dtype(), shape),
        out -> {
          long batch = x.dim(0);
          long channelBytes = x.dim(1) == 0 || batch == 0 ? 0 : x.byteSize() / batch / x.dim(1);
          copyRows(out, 0, count * channelBytes, x, start * channelBytes, x.dim(1) * channelBytes, count * channelBytes, batch);
        });
  }

  /** {@code rows} rows of {@code rowBytes}, at byte offsets and pitches within dst and src. */
  private static void copyRows(
      Tensor dst, long dstOffset, long dstPitch, Tensor src, long srcOffset, long srcPitch, long rowBytes, long rows) {
    if (rows == 0 || rowBytes == 0) {
      return;
    }
    Status.check(
        guidance4j_h.g4j_memcpy_2d(
            stream(dst), MemorySegment.ofAddress(dst.address() + dstOffset), dstPitch,
            MemorySegment.ofAddress(src.address() + srcOffset), srcPitch, rowBytes, rows),
        "g4j_memcpy_2d");
  }

  // ---- guidance ------------------------------------------------------------------------------

  /** a + scale * (b - a): CFG with (uncond, cond, 1 + w), autoguidance with (D0, D1, w). */
  public static Tensor guidedCombine(Tensor a, Tensor b, float scale) {
    Check.present("Ops.guidedCombine", a, "a");
    return produce(Tensor.empty(a.device(), a.dtype(), a.shape()), out -> guidedCombineInto(a, b, scale, out));
  }

  /** out = a + scale * (b - a); out may be a or b. */
  public static Tensor guidedCombineInto(Tensor a, Tensor b, float scale, Tensor out) {
    String op = "Ops.guidedCombine";
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, a, "a", out.device(), out.dtype());
    Check.shape(op, a, "a", out.shape());
    Check.tensor(op, b, "b", out.device(), out.dtype());
    Check.shape(op, b, "b", out.shape());
    Check.sameOrDisjoint(op, out, "out", a, "a");
    Check.sameOrDisjoint(op, out, "out", b, "b");
    Status.check(
        guidance4j_h.g4j_guided_combine(stream(out), out.dtype().code(), out.numel(), a.ptr(), b.ptr(), scale, out.ptr()),
        "g4j_guided_combine");
    return out;
  }

  /** One fused guided sampler update (see {@link GuidedStepCoefficients}), as a new tensor. */
  public static Tensor guidedStep(
      Tensor x, Tensor a, Tensor b, GuidedStepCoefficients c, Tensor noise, Tensor noiseStd) {
    Check.present("Ops.guidedStep", x, "x");
    return produce(
        Tensor.empty(x.device(), x.dtype(), x.shape()),
        out -> guidedStepInto(x, a, b, c, noise, noiseStd, out, null));
  }

  /**
   * The fused guided step: b, noise, noiseStd and x0Out may be null (no guidance, no noise,
   * std 1, x0 not wanted). out may be x; nothing else may overlap out or x0Out.
   */
  public static Tensor guidedStepInto(
      Tensor x, Tensor a, Tensor b, GuidedStepCoefficients c, Tensor noise, Tensor noiseStd, Tensor out, Tensor x0Out) {
    String op = "Ops.guidedStep";
    Check.present(op, out, "out");
    if (c == null) {
      throw Check.fail(op, "coefficients must not be null");
    }
    Check.output(op, out, "out", out.device(), out.dtype());
    long[] shape = out.shape();
    Check.tensor(op, x, "x", out.device(), out.dtype());
    Check.shape(op, x, "x", shape);
    Check.tensor(op, a, "a", out.device(), out.dtype());
    Check.shape(op, a, "a", shape);
    optional(op, b, "b", out, shape);
    optional(op, noise, "noise", out, shape);
    optional(op, noiseStd, "noiseStd", out, shape);
    if (x0Out != null) {
      Check.output(op, x0Out, "x0Out", out.device(), out.dtype());
      Check.shape(op, x0Out, "x0Out", shape);
    }
    Check.sameOrDisjoint(op, out, "out", x, "x");
    for (Tensor o : new Tensor[] {out, x0Out}) {
      if (o == null) {
        continue;
      }
      String name = o == out ? "out" : "x0Out";
      Check.disjoint(op, o, name, a, "a");
      Check.disjoint(op, o, name, b, "b");
      Check.disjoint(op, o, name, noise, "noise");
      Check.disjoint(op, o, name, noiseStd, "noiseStd");
    }
    if (x0Out != null) {
      Check.disjoint(op, x0Out, "x0Out", x, "x");
      Check.disjoint(op, x0Out, "x0Out", out, "out");
    }
    Status.check(
        guidance4j_h.g4j_guided_step(
            stream(out), out.dtype().code(), out.numel(), x.ptr(), a.ptr(), ptrOrNull(b),
            c.scale(), c.px(), c.pg(), c.clip(), c.qx(), c.q0(), c.qn(),
            ptrOrNull(noise), ptrOrNull(noiseStd), out.ptr(), ptrOrNull(x0Out)),
        "g4j_guided_step");
    return out;
  }

  // ---- normalisation ---------------------------------------------------------------------------

  /** GroupNorm of x (B, C, spatial...) with per-channel gamma/beta (each nullable), then SiLU if asked. */
  public static Tensor groupNorm(Tensor x, int groups, float eps, Tensor gamma, Tensor beta, boolean silu) {
    Check.present("Ops.groupNorm", x, "x");
    return produce(
        Tensor.empty(x.device(), x.dtype(), x.shape()),
        out -> groupNormInto(x, groups, eps, gamma, beta, silu, out));
  }

  public static Tensor groupNormInto(
      Tensor x, int groups, float eps, Tensor gamma, Tensor beta, boolean silu, Tensor out) {
    return groupNorm("Ops.groupNorm", x, groups, eps, gamma, beta, null, -1, silu, out);
  }

  /**
   * ADM's scale-shift norm: GroupNorm with gamma/beta, then {@code h * (1 + scale) + shift} with
   * scale = scaleShift[:, :C] and shift = scaleShift[:, C:] of a (B, 2C) tensor (emb_out), then
   * SiLU if asked.
   */
  public static Tensor adaptiveGroupNorm(
      Tensor x, int groups, float eps, Tensor gamma, Tensor beta, Tensor scaleShift, boolean silu) {
    Check.present("Ops.adaptiveGroupNorm", x, "x");
    return produce(
        Tensor.empty(x.device(), x.dtype(), x.shape()),
        out -> adaptiveGroupNormInto(x, groups, eps, gamma, beta, scaleShift, silu, out));
  }

  public static Tensor adaptiveGroupNormInto(
      Tensor x, int groups, float eps, Tensor gamma, Tensor beta, Tensor scaleShift, boolean silu, Tensor out) {
    Check.present("Ops.adaptiveGroupNorm", scaleShift, "scaleShift");
    return groupNorm("Ops.adaptiveGroupNorm", x, groups, eps, gamma, beta, scaleShift, -1, silu, out);
  }

  /**
   * {@link #adaptiveGroupNorm} with scale and shift read from columns [column, column + C) and
   * [column + C, column + 2C) of a wider (B, K) tensor: every ResBlock's emb_out side by side,
   * from one GEMM per network forward.
   */
  public static Tensor adaptiveGroupNorm(
      Tensor x, int groups, float eps, Tensor gamma, Tensor beta, Tensor scaleShiftRows, long column, boolean silu) {
    String op = "Ops.adaptiveGroupNorm";
    Check.present(op, x, "x");
    Check.present(op, scaleShiftRows, "scaleShiftRows");
    if (column < 0) {
      throw Check.fail(op, "column must be >= 0, got " + column);
    }
    return produce(
        Tensor.empty(x.device(), x.dtype(), x.shape()),
        out -> groupNorm(op, x, groups, eps, gamma, beta, scaleShiftRows, column, silu, out));
  }

  /** column: the scale's first column in a wider scaleShift (B, K), or -1 for exactly (B, 2C). */
  private static Tensor groupNorm(
      String op, Tensor x, int groups, float eps, Tensor gamma, Tensor beta, Tensor scaleShift, long column, boolean silu,
      Tensor out) {
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, x, "x", out.device(), out.dtype());
    Check.minRank(op, x, "x", 2, "(batch, channels, spatial...)");
    Check.shape(op, x, "x", out.shape());
    long batch = x.dim(0);
    long channels = x.dim(1);
    long spatial = batch * channels == 0 ? 0 : x.numel() / (batch * channels);
    Check.positive(op, "groups", groups);
    if (channels % groups != 0) {
      throw Check.fail(op, "channels (" + channels + ", dim 1 of x) must be divisible by groups (" + groups + ")");
    }
    optional(op, gamma, "gamma", out, channels);
    optional(op, beta, "beta", out, channels);
    MemorySegment scale = MemorySegment.NULL;
    MemorySegment shift = MemorySegment.NULL;
    long ssStride = 0;
    if (scaleShift != null && column < 0) {
      optional(op, scaleShift, "scaleShift", out, batch, 2 * channels);
      column = 0;
    } else if (scaleShift != null) {
      Check.tensor(op, scaleShift, "scaleShiftRows", out.device(), out.dtype());
      if (scaleShift.rank() != 2 || scaleShift.dim(0) != batch || scaleShift.dim(1) < column + 2 * channels) {
        throw Check.fail(
            op,
            "scaleShiftRows has shape " + Arrays.toString(scaleShift.shape()) + " but needs [" + batch + ", >= "
                + (column + 2 * channels) + "] for columns [" + column + ", " + (column + 2 * channels) + ")");
      }
    }
    if (scaleShift != null) {
      long es = out.dtype().byteSize();
      scale = MemorySegment.ofAddress(scaleShift.address() + column * es);
      shift = MemorySegment.ofAddress(scaleShift.address() + (column + channels) * es);
      ssStride = scaleShift.dim(1);
    }
    Check.disjoint(op, out, "out", x, "x");
    Check.disjoint(op, out, "out", gamma, "gamma");
    Check.disjoint(op, out, "out", beta, "beta");
    Check.disjoint(op, out, "out", scaleShift, "scaleShift");
    Status.check(
        guidance4j_h.g4j_group_norm(
            stream(out), out.dtype().code(), batch, channels, spatial, groups, eps, x.ptr(),
            ptrOrNull(gamma), ptrOrNull(beta), scale, shift, ssStride, silu ? 1 : 0, out.ptr()),
        "g4j_group_norm");
    return out;
  }

  /**
   * EDM2's normalize(x, dim=axis): every vector along {@code axis} divided by its RMS plus eps,
   * {@code x / (eps + ||x||_axis / sqrt(size of axis))}. Pixel norm of (B, C, H, W) is axis 1.
   */
  public static Tensor normalize(Tensor x, int axis, float eps) {
    Check.present("Ops.normalize", x, "x");
    return produce(Tensor.empty(x.device(), x.dtype(), x.shape()), out -> normalizeInto(x, axis, eps, out));
  }

  /** See {@link #normalize}; out may be x. */
  public static Tensor normalizeInto(Tensor x, int axis, float eps, Tensor out) {
    String op = "Ops.normalize";
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, x, "x", out.device(), out.dtype());
    Check.shape(op, x, "x", out.shape());
    long[] oda = normalizeView(op, x, axis, eps);
    Check.sameOrDisjoint(op, out, "out", x, "x");
    if (x.numel() == 0) {
      return out;
    }
    Status.check(
        guidance4j_h.g4j_normalize(stream(out), out.dtype().code(), oda[0], oda[1], oda[2], eps, x.ptr(), out.ptr()),
        "g4j_normalize");
    return out;
  }

  /**
   * EDM2's normalize fused with the mp_silu that reads its result: {@code out} = normalize(x,
   * axis, eps) (out may be x) and {@code siluOut} = silu(out), one read of x.
   */
  public static void normalizeSiluInto(Tensor x, int axis, float eps, Tensor out, Tensor siluOut) {
    String op = "Ops.normalizeSilu";
    Check.present(op, out, "out");
    Check.present(op, siluOut, "siluOut");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.output(op, siluOut, "siluOut", out.device(), out.dtype());
    Check.tensor(op, x, "x", out.device(), out.dtype());
    Check.shape(op, x, "x", out.shape());
    Check.shape(op, siluOut, "siluOut", out.shape());
    long[] oda = normalizeView(op, x, axis, eps);
    Check.sameOrDisjoint(op, out, "out", x, "x");
    Check.disjoint(op, siluOut, "siluOut", x, "x");
    Check.disjoint(op, siluOut, "siluOut", out, "out");
    if (x.numel() == 0) {
      return;
    }
    Status.check(
        guidance4j_h.g4j_normalize_silu(
            stream(out), out.dtype().code(), oda[0], oda[1], oda[2], eps, x.ptr(), out.ptr(), siluOut.ptr()),
        "g4j_normalize_silu");
  }

  /** x viewed as (outer, size of axis, inner) for normalize, after checking axis and eps. */
  private static long[] normalizeView(String op, Tensor x, int axis, float eps) {
    if (axis < 0 || axis >= x.rank()) {
      throw Check.fail(op, "axis " + axis + " out of range for x " + Arrays.toString(x.shape()));
    }
    if (!(eps > 0) || Float.isInfinite(eps)) {
      throw Check.fail(op, "eps must be finite and > 0, got " + eps);
    }
    long outer = 1;
    for (int d = 0; d < axis; d++) {
      outer *= x.dim(d);
    }
    long size = x.dim(axis);
    long inner = x.numel() == 0 ? 0 : x.numel() / (outer * size);
    return new long[] {outer, size, inner};
  }

  // ---- attention -------------------------------------------------------------------------------

  /** Self-attention over qkv (B, 3*H*D, T) with the usual scale 1/sqrt(D); out (B, H*D, T). */
  public static Tensor attention(Tensor qkv, int heads, QkvLayout layout) {
    Check.present("Ops.attention", qkv, "qkv");
    long headDim = attentionHeadDim("Ops.attention", qkv, heads);
    return attention(qkv, heads, layout, (float) (1.0 / Math.sqrt(headDim)));
  }

  public static Tensor attention(Tensor qkv, int heads, QkvLayout layout, float scale) {
    String op = "Ops.attention";
    Check.present(op, qkv, "qkv");
    long headDim = attentionHeadDim(op, qkv, heads);
    return produce(
        Tensor.empty(qkv.device(), qkv.dtype(), qkv.dim(0), heads * headDim, qkv.dim(2)),
        out -> attentionInto(qkv, heads, layout, scale, out));
  }

  public static Tensor attentionInto(Tensor qkv, int heads, QkvLayout layout, float scale, Tensor out) {
    String op = "Ops.attention";
    Check.present(op, out, "out");
    if (layout == null) {
      throw Check.fail(op, "layout must not be null");
    }
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, qkv, "qkv", out.device(), out.dtype());
    long headDim = attentionHeadDim(op, qkv, heads);
    long batch = qkv.dim(0);
    long tokens = qkv.dim(2);
    Check.shape(op, out, "out", batch, heads * headDim, tokens);
    Check.disjoint(op, out, "out", qkv, "qkv");
    Status.check(
        guidance4j_h.g4j_attention(
            stream(out), out.dtype().code(), batch, heads, headDim, tokens, layout.code(), scale, qkv.ptr(), out.ptr()),
        "g4j_attention");
    return out;
  }

  static long attentionHeadDim(String op, Tensor qkv, int heads) {
    Check.rank(op, qkv, "qkv", 3, "(batch, 3 * heads * head_dim, tokens)");
    Check.positive(op, "heads", heads);
    long c = qkv.dim(1);
    if (c == 0 || c % (3L * heads) != 0) {
      throw Check.fail(op, "qkv has " + c + " channels, not a positive multiple of 3 * heads = " + 3L * heads);
    }
    return c / (3L * heads);
  }

  // ---- convolution and matrix products -----------------------------------------------------------

  /** conv2d(x (B, Cin, H, W), weight (Cout, Cin, k, k), bias (Cout) or null), zero padding. */
  public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
    return conv2d(x, weight, bias, null, stride, padding);
  }

  /** As {@link #conv2d(Tensor, Tensor, Tensor, int, int)} plus a residual of the output's shape (nullable). */
  public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, Tensor residual, int stride, int padding) {
    String op = "Ops.conv2d";
    Check.present(op, x, "x");
    long[] outShape = conv2dOutShape(op, x, weight, stride, padding);
    return produce(
        Tensor.empty(x.device(), x.dtype(), outShape),
        out -> conv2dInto(x, weight, bias, residual, stride, padding, out));
  }

  public static Tensor conv2dInto(
      Tensor x, Tensor weight, Tensor bias, Tensor residual, int stride, int padding, Tensor out) {
    String op = "Ops.conv2d";
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, x, "x", out.device(), out.dtype());
    Check.tensor(op, weight, "weight", out.device(), out.dtype());
    long[] outShape = conv2dOutShape(op, x, weight, stride, padding);
    Check.shape(op, out, "out", outShape);
    optional(op, bias, "bias", out, weight.dim(0));
    optional(op, residual, "residual", out, outShape);
    Check.disjoint(op, out, "out", x, "x");
    Check.disjoint(op, out, "out", weight, "weight");
    Check.disjoint(op, out, "out", bias, "bias");
    Check.disjoint(op, out, "out", residual, "residual");
    Status.check(
        guidance4j_h.g4j_conv2d(
            stream(out), out.dtype().code(), x.dim(0), x.dim(1), x.dim(2), x.dim(3), weight.dim(0),
            weight.dim(2), stride, padding, x.ptr(), weight.ptr(), ptrOrNull(bias), ptrOrNull(residual), out.ptr()),
        "g4j_conv2d");
    return out;
  }

  static long[] conv2dOutShape(String op, Tensor x, Tensor weight, int stride, int padding) {
    Check.rank(op, x, "x", 4, "(batch, in_channels, height, width)");
    return conv2dOutShape(op, x.shape(), "x", weight, stride, padding);
  }

  /** The output shape of conv2d over an input of {@code xShape} (called {@code xName} in messages). */
  static long[] conv2dOutShape(String op, long[] xShape, String xName, Tensor weight, int stride, int padding) {
    if (xShape.length != 4) {
      throw Check.fail(op, xName + " must be (batch, in_channels, height, width) but has shape " + Arrays.toString(xShape));
    }
    Check.present(op, weight, "weight");
    Check.rank(op, weight, "weight", 4, "(out_channels, in_channels, k, k)");
    long k = weight.dim(2);
    if (weight.dim(3) != k || k < 1) {
      throw Check.fail(op, "weight must have a square kernel k x k, k >= 1, but has shape " + Arrays.toString(weight.shape()));
    }
    if (weight.dim(1) != xShape[1]) {
      throw Check.fail(
          op,
          "weight has shape " + Arrays.toString(weight.shape()) + " but expected ["
              + weight.dim(0) + ", " + xShape[1] + ", " + k + ", " + k + "] for " + xName + " "
              + Arrays.toString(xShape) + " (in_channels = dim 1 of " + xName + ")");
    }
    Check.positive(op, "stride", stride);
    if (padding < 0) {
      throw Check.fail(op, "padding must be >= 0, got " + padding);
    }
    long h = xShape[2] + 2L * padding;
    long w = xShape[3] + 2L * padding;
    if (h < k || w < k) {
      throw Check.fail(
          op, "the padded input " + h + " x " + w + " is smaller than the " + k + " x " + k + " kernel ("
              + xName + " " + Arrays.toString(xShape) + ")");
    }
    return new long[] {xShape[0], weight.dim(0), (h - k) / stride + 1, (w - k) / stride + 1};
  }

  /**
   * C = alpha * op(A) op(B) + beta * C, row-major, batched over dim 0 of a rank-3 {@code c}.
   * A is (m, k), or (k, m) when transA; rank 3 with the batch first, or rank 2 to share one A
   * across the batch; likewise B (k, n) / (n, k). When beta == 0, c is not read.
   */
  public static Tensor gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
    String op = "Ops.gemm";
    Check.present(op, c, "c");
    Check.output(op, c, "c", c.device(), c.dtype());
    Check.tensor(op, a, "a", c.device(), c.dtype());
    Check.tensor(op, b, "b", c.device(), c.dtype());
    if (c.rank() != 2 && c.rank() != 3) {
      throw Check.fail(op, "c must be (m, n) or (batch, m, n) but has shape " + Arrays.toString(c.shape()));
    }
    long batch = c.rank() == 3 ? c.dim(0) : 1;
    long m = c.dim(-2);
    long n = c.dim(-1);
    long strideA = gemmOperand(op, a, "a", c.rank(), batch);
    long strideB = gemmOperand(op, b, "b", c.rank(), batch);
    long k = transA ? a.dim(-2) : a.dim(-1);
    long[] expectA = transA ? new long[] {k, m} : new long[] {m, k};
    long[] expectB = transB ? new long[] {n, k} : new long[] {k, n};
    long[] gotA = {a.dim(-2), a.dim(-1)};
    long[] gotB = {b.dim(-2), b.dim(-1)};
    if (!Arrays.equals(gotA, expectA) || !Arrays.equals(gotB, expectB)) {
      throw Check.fail(
          op,
          "a " + Arrays.toString(a.shape()) + (transA ? "^T" : "") + " times b " + Arrays.toString(b.shape())
              + (transB ? "^T" : "") + " does not give c " + Arrays.toString(c.shape())
              + ": expected a's matrix " + Arrays.toString(expectA) + " and b's " + Arrays.toString(expectB));
    }
    Check.disjoint(op, c, "c", a, "a");
    Check.disjoint(op, c, "c", b, "b");
    long lda = transA ? m : k;
    long ldb = transB ? k : n;
    Status.check(
        guidance4j_h.g4j_gemm(
            stream(c), c.dtype().code(), transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a.ptr(), lda,
            strideA, b.ptr(), ldb, strideB, beta, c.ptr(), n, m * n, batch),
        "g4j_gemm");
    return c;
  }

  /** Elements between consecutive batch matrices of an operand (0: shared by the batch). */
  private static long gemmOperand(String op, Tensor t, String name, int cRank, long batch) {
    if (t.rank() == 2) {
      return 0;
    }
    if (t.rank() == 3 && cRank == 3 && t.dim(0) == batch) {
      return t.dim(1) * t.dim(2);
    }
    throw Check.fail(
        op,
        name + " has shape " + Arrays.toString(t.shape()) + " but must be a matrix"
            + (cRank == 3 ? " or (" + batch + ", rows, cols) to match c's batch" : " like c"));
  }

  /** a (m, k) x b (k, n), or batched (B, m, k) x (B, k, n) or a shared (k, n): a new tensor. */
  public static Tensor matmul(Tensor a, Tensor b) {
    String op = "Ops.matmul";
    Check.present(op, a, "a");
    Check.present(op, b, "b");
    long[] shape;
    if (a.rank() == 2 && b.rank() == 2) {
      shape = new long[] {a.dim(0), b.dim(1)};
    } else if (a.rank() == 3 && (b.rank() == 2 || b.rank() == 3)) {
      shape = new long[] {a.dim(0), a.dim(1), b.dim(-1)};
    } else {
      throw Check.fail(op, "shapes " + Arrays.toString(a.shape()) + " x " + Arrays.toString(b.shape()) + " are not matrices or batches of them");
    }
    return produce(Tensor.empty(a.device(), a.dtype(), shape), c -> gemm(false, false, 1f, a, b, 0f, c));
  }

  /** torch's linear: x (..., in) W^T + bias, weight (out, in), bias (out) or null. */
  public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
    String op = "Ops.linear";
    Check.present(op, x, "x");
    Check.present(op, weight, "weight");
    Check.minRank(op, x, "x", 1, "(..., in_features)");
    Check.rank(op, weight, "weight", 2, "(out_features, in_features)");
    long[] shape = x.shape();
    shape[shape.length - 1] = weight.dim(0);
    return produce(Tensor.empty(x.device(), x.dtype(), shape), out -> linearInto(x, weight, bias, out));
  }

  public static Tensor linearInto(Tensor x, Tensor weight, Tensor bias, Tensor out) {
    String op = "Ops.linear";
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, x, "x", out.device(), out.dtype());
    Check.tensor(op, weight, "weight", out.device(), out.dtype());
    Check.minRank(op, x, "x", 1, "(..., in_features)");
    Check.rank(op, weight, "weight", 2, "(out_features, in_features)");
    long in = x.dim(-1);
    long outFeatures = weight.dim(0);
    Check.shape(op, weight, "weight", outFeatures, in);
    long[] expected = x.shape();
    expected[expected.length - 1] = outFeatures;
    Check.shape(op, out, "out", expected);
    optional(op, bias, "bias", out, outFeatures);
    Check.disjoint(op, out, "out", x, "x");
    Check.disjoint(op, out, "out", weight, "weight");
    Check.disjoint(op, out, "out", bias, "bias");
    long rows = in == 0 ? 0 : x.numel() / in;
    Status.check(
        guidance4j_h.g4j_linear(
            stream(out), out.dtype().code(), rows, in, outFeatures, x.ptr(), weight.ptr(), ptrOrNull(bias), out.ptr()),
        "g4j_linear");
    return out;
  }

  /**
   * The linear layers of an embedding MLP for a few rows (one per sample), with their bias and
   * SiLU fused in: act(x W^T + bias), x (rows, in), weight (out, in), bias (out) or null.
   */
  public static Tensor embedLinear(Tensor x, Tensor weight, Tensor bias, boolean silu) {
    return embedLinear("Ops.embedLinear", x, weight, bias, null, null, false, silu);
  }

  /**
   * {@link #embedLinear} plus row index[r] of {@code table} (rows, out): ADM's label embedding
   * added to its time embedding. index (rows) is F32 on the device holding the integer indices
   * (checked by the caller: an index outside [0, rows) gives a NaN row).
   */
  public static Tensor embedLinearPlusRow(Tensor x, Tensor weight, Tensor bias, Tensor table, Tensor index, boolean silu) {
    Check.present("Ops.embedLinearPlusRow", table, "table");
    return embedLinear("Ops.embedLinearPlusRow", x, weight, bias, table, index, false, silu);
  }

  /**
   * {@link #embedLinear} plus column index[r] of {@code table} (out, columns): a linear layer of
   * a one-hot input (EDM2's emb_label) added to the first one. index as in {@link #embedLinearPlusRow}.
   */
  public static Tensor embedLinearPlusColumn(Tensor x, Tensor weight, Tensor bias, Tensor table, Tensor index, boolean silu) {
    Check.present("Ops.embedLinearPlusColumn", table, "table");
    return embedLinear("Ops.embedLinearPlusColumn", x, weight, bias, table, index, true, silu);
  }

  private static Tensor embedLinear(
      String op, Tensor x, Tensor weight, Tensor bias, Tensor table, Tensor index, boolean columns, boolean silu) {
    Check.present(op, x, "x");
    Check.present(op, weight, "weight");
    Check.rank(op, x, "x", 2, "(rows, in_features)");
    Check.rank(op, weight, "weight", 2, "(out_features, in_features)");
    long rows = x.dim(0);
    long in = x.dim(1);
    long outFeatures = weight.dim(0);
    Tensor out = Tensor.empty(x.device(), x.dtype(), rows, outFeatures);
    return produce(out, o -> {
      Check.tensor(op, weight, "weight", o.device(), o.dtype());
      Check.shape(op, weight, "weight", outFeatures, in);
      optional(op, bias, "bias", o, outFeatures);
      long tableRows = 0;
      if (table != null) {
        Check.tensor(op, table, "table", o.device(), o.dtype());
        Check.rank(op, table, "table", 2, columns ? "(out_features, columns)" : "(rows, out_features)");
        tableRows = columns ? table.dim(1) : table.dim(0);
        Check.shape(op, table, "table", columns ? new long[] {outFeatures, tableRows} : new long[] {tableRows, outFeatures});
        Check.present(op, index, "index");
        Check.tensor(op, index, "index", o.device(), DType.F32);
        Check.shape(op, index, "index", rows);
      }
      if (rows == 0) {
        return;
      }
      Status.check(
          guidance4j_h.g4j_embed_linear(
              stream(o), o.dtype().code(), rows, in, outFeatures, x.ptr(), weight.ptr(), ptrOrNull(bias),
              ptrOrNull(table), ptrOrNull(index), tableRows, columns ? 1 : outFeatures, columns ? tableRows : 1,
              silu ? 1 : 0, o.ptr()),
          "g4j_embed_linear");
    });
  }

  // ---- resampling and embeddings ---------------------------------------------------------------

  /** Nearest-neighbour 2x up-sampling of the last two dimensions: (..., H, W) -> (..., 2H, 2W). */
  public static Tensor upsampleNearest2x(Tensor x) {
    String op = "Ops.upsampleNearest2x";
    Check.present(op, x, "x");
    Check.minRank(op, x, "x", 2, "(..., height, width)");
    long[] shape = x.shape();
    shape[shape.length - 2] *= 2;
    shape[shape.length - 1] *= 2;
    return produce(Tensor.empty(x.device(), x.dtype(), shape), out -> upsampleNearest2xInto(x, out));
  }

  public static Tensor upsampleNearest2xInto(Tensor x, Tensor out) {
    String op = "Ops.upsampleNearest2x";
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, x, "x", out.device(), out.dtype());
    Check.minRank(op, x, "x", 2, "(..., height, width)");
    long[] expected = x.shape();
    expected[expected.length - 2] *= 2;
    expected[expected.length - 1] *= 2;
    Check.shape(op, out, "out", expected);
    Check.disjoint(op, out, "out", x, "x");
    long h = x.dim(-2);
    long w = x.dim(-1);
    long planes = h * w == 0 ? 0 : x.numel() / (h * w);
    Status.check(
        guidance4j_h.g4j_upsample_nearest2x(stream(out), out.dtype().code(), planes, h, w, x.ptr(), out.ptr()),
        "g4j_upsample_nearest2x");
    return out;
  }

  /** 2x2 average pooling of the last two dimensions, odd edges dropped: (..., H, W) -> (..., H/2, W/2). */
  public static Tensor avgPool2x2(Tensor x) {
    String op = "Ops.avgPool2x2";
    Check.present(op, x, "x");
    long[] shape = avgPoolShape(op, x);
    return produce(Tensor.empty(x.device(), x.dtype(), shape), out -> avgPool2x2Into(x, out));
  }

  public static Tensor avgPool2x2Into(Tensor x, Tensor out) {
    String op = "Ops.avgPool2x2";
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, x, "x", out.device(), out.dtype());
    Check.shape(op, out, "out", avgPoolShape(op, x));
    Check.disjoint(op, out, "out", x, "x");
    long h = x.dim(-2);
    long w = x.dim(-1);
    long planes = x.numel() / (h * w);
    Status.check(
        guidance4j_h.g4j_avg_pool2x2(stream(out), out.dtype().code(), planes, h, w, x.ptr(), out.ptr()),
        "g4j_avg_pool2x2");
    return out;
  }

  static long[] avgPoolShape(String op, Tensor x) {
    Check.minRank(op, x, "x", 2, "(..., height, width)");
    if (x.dim(-2) < 2 || x.dim(-1) < 2) {
      throw Check.fail(op, "x " + Arrays.toString(x.shape()) + " is smaller than one 2 x 2 window");
    }
    long[] shape = x.shape();
    shape[shape.length - 2] /= 2;
    shape[shape.length - 1] /= 2;
    return shape;
  }

  /** guided-diffusion's sinusoidal embedding of F32 timesteps (n) as (n, dim) of {@code dtype}, max period 10000. */
  public static Tensor timestepEmbedding(Tensor timesteps, int dim, DType dtype) {
    return timestepEmbedding(timesteps, dim, 10000f, dtype);
  }

  public static Tensor timestepEmbedding(Tensor timesteps, int dim, float maxPeriod, DType dtype) {
    String op = "Ops.timestepEmbedding";
    Check.present(op, timesteps, "timesteps");
    Check.rank(op, timesteps, "timesteps", 1, "(n)");
    Check.positive(op, "dim", dim);
    return produce(
        Tensor.empty(timesteps.device(), dtype, timesteps.dim(0), dim),
        out -> timestepEmbeddingInto(timesteps, maxPeriod, out));
  }

  /** timesteps (n) is F32 whatever out's dtype is; out is (n, dim). */
  public static Tensor timestepEmbeddingInto(Tensor timesteps, float maxPeriod, Tensor out) {
    String op = "Ops.timestepEmbedding";
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.tensor(op, timesteps, "timesteps", out.device(), DType.F32);
    Check.rank(op, timesteps, "timesteps", 1, "(n)");
    Check.rank(op, out, "out", 2, "(n, dim)");
    Check.shape(op, out, "out", timesteps.dim(0), out.dim(1));
    Check.disjoint(op, out, "out", timesteps, "timesteps");
    Status.check(
        guidance4j_h.g4j_timestep_embedding(
            stream(out), out.dtype().code(), out.dim(0), out.dim(1), maxPeriod, timesteps.ptr(), out.ptr()),
        "g4j_timestep_embedding");
    return out;
  }

  // ---- random numbers --------------------------------------------------------------------------

  /**
   * Standard normal noise of {@code shape} (dim 0 = samples), sample j being global sample
   * {@code firstSample + j}: the same numbers for a (seed, streamId, sample) on every device and
   * batch size.
   */
  public static Tensor randn(Device device, DType dtype, long seed, int streamId, long firstSample, long... shape) {
    if (shape.length == 0) {
      throw Check.fail("Ops.randn", "shape needs at least the sample dimension");
    }
    return produce(Tensor.empty(device, dtype, shape), out -> randnInto(out, seed, streamId, firstSample));
  }

  public static Tensor randnInto(Tensor out, long seed, int streamId, long firstSample) {
    String op = "Ops.randn";
    Check.present(op, out, "out");
    Check.output(op, out, "out", out.device(), out.dtype());
    Check.minRank(op, out, "out", 1, "(samples, ...)");
    if (firstSample < 0) {
      throw Check.fail(op, "firstSample must be >= 0, got " + firstSample);
    }
    long samples = out.dim(0);
    long perSample = samples == 0 ? 0 : out.numel() / samples;
    Status.check(
        guidance4j_h.g4j_randn(stream(out), out.dtype().code(), seed, streamId, firstSample, samples, perSample, out.ptr()),
        "g4j_randn");
    return out;
  }
}
