package org.guidance4j.core;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.guidance4j.bindings.guidance4j_h;

/**
 * Finding NaNs and infinities: {@link #mark}, the Java face of g4j_mark_nonfinite (an on-device
 * reduction per sample, nothing copied to the host), and the checks built on it. Only when
 * something is found is a tensor copied to the host, to name its first bad element.
 */
public final class NonFinite {
  private NonFinite() {}

  private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
  private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.nativeOrder());

  /**
   * For every sample b of {@code x} (dimension 0; any dtype) that holds a NaN or an infinity,
   * sets {@code firstStep[b] = step} where it is still negative. {@code firstStep} is F32 (batch)
   * on x's device; set it to -1 once, mark after every step, read it back once.
   */
  public static void mark(Tensor x, int step, Tensor firstStep) {
    String op = "NonFinite.mark";
    Check.present(op, x, "x");
    Check.minRank(op, x, "x", 1, "(samples, ...)");
    Check.output(op, firstStep, "firstStep", x.device(), DType.F32);
    Check.shape(op, firstStep, "firstStep", x.dim(0));
    if (step < 0) {
      throw Check.fail(op, "step must be >= 0, got " + step);
    }
    long batch = x.dim(0);
    long perSample = batch == 0 ? 0 : x.numel() / batch;
    Status.check(
        guidance4j_h.g4j_mark_nonfinite(
            firstStep.device().currentStream().handle(), x.dtype().code(), batch, perSample, x.ptr(), step,
            firstStep.ptr()),
        "g4j_mark_nonfinite");
  }

  /** Whether any element of {@code x} is a NaN or an infinity (one pass on x's device, one value read back). */
  public static boolean any(Tensor x) {
    Check.present("NonFinite.any", x, "x");
    if (x.numel() == 0) {
      return false;
    }
    try (Tensor flag = Ops.fill(Tensor.empty(x.device(), DType.F32, 1), -1f)) {
      mark(x.reshape(1, x.numel()), 0, flag);
      return flag.toFloatArray()[0] >= 0;
    }
  }

  /** Throws a {@link NonFiniteInputException} naming {@code input} and the first bad element, if there is one. */
  public static void requireFinite(Tensor x, String input) {
    if (any(x)) {
      long i = firstIndex(x);
      throw new NonFiniteInputException(input, x.shape(), i, valueAt(x, i));
    }
  }

  /** Index of the first NaN or infinity among {@code values}, or -1. */
  public static long firstIndex(float[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        return i;
      }
    }
    return -1;
  }

  /** Index of the first non-finite element of {@code x} (a host copy: the slow path, once something was found), or -1. */
  public static long firstIndex(Tensor x) {
    if (!x.device().isCpu()) {
      try (Tensor host = x.toHost()) {
        return firstIndex(host);
      }
    }
    MemorySegment s = x.segment();
    long n = x.numel();
    for (long i = 0; i < n; i++) {
      if (!Float.isFinite(read(s, x.dtype(), i))) {
        return i;
      }
    }
    return -1;
  }

  /** Element {@code index} of {@code x} widened to float. */
  public static float valueAt(Tensor x, long index) {
    if (!x.device().isCpu()) {
      try (Tensor host = x.toHost()) {
        return valueAt(host, index);
      }
    }
    return read(x.segment(), x.dtype(), index);
  }

  private static float read(MemorySegment s, DType dtype, long i) {
    return switch (dtype) {
      case F32 -> s.getAtIndex(F32, i);
      case F16 -> Float.float16ToFloat(s.getAtIndex(U16, i));
      case BF16 -> Float.intBitsToFloat((s.getAtIndex(U16, i) & 0xffff) << 16);
    };
  }

  /** The multi-index of flat row-major {@code index} in {@code shape}. */
  static long[] position(long[] shape, long index) {
    long[] p = new long[shape.length];
    long rest = index;
    for (int d = shape.length - 1; d >= 0; d--) {
      long size = Math.max(1, shape[d]);
      p[d] = rest % size;
      rest /= size;
    }
    return p;
  }
}
