package org.guidance4j.core;

import java.util.Arrays;

/**
 * Argument checks for {@link Ops}: they run before any native call, so a wrong shape fails with
 * the Java argument's name and both shapes instead of a native message about raw sizes.
 */
final class Check {
  private Check() {}

  static InvalidArgumentException fail(String op, String message) {
    return new InvalidArgumentException(op, op + ": " + message);
  }

  static void present(String op, Tensor t, String name) {
    if (t == null) {
      throw fail(op, name + " must not be null");
    }
    t.checkOpen();
  }

  /** {@code t} is open, on {@code device}, of {@code dtype}. */
  static void tensor(String op, Tensor t, String name, Device device, DType dtype) {
    present(op, t, name);
    if (!t.device().equals(device)) {
      throw fail(op, name + " is on " + t.device() + " but the op runs on " + device + " (copy it with copyTo)");
    }
    if (t.dtype() != dtype) {
      throw fail(op, name + " is " + t.dtype() + " but the op's dtype is " + dtype + " (convert it with to(DType))");
    }
  }

  /** Like {@link #tensor}, and {@code t} is writable: an output. */
  static void output(String op, Tensor t, String name, Device device, DType dtype) {
    tensor(op, t, name, device, dtype);
    t.checkWritable(op);
  }

  static void shape(String op, Tensor t, String name, long... expected) {
    long[] actual = t.shape();
    if (!Arrays.equals(actual, expected)) {
      throw fail(op, name + " has shape " + Arrays.toString(actual) + " but expected " + Arrays.toString(expected));
    }
  }

  static void rank(String op, Tensor t, String name, int rank, String meaning) {
    if (t.rank() != rank) {
      throw fail(op, name + " must be " + meaning + " (rank " + rank + ") but has shape " + Arrays.toString(t.shape()));
    }
  }

  static void minRank(String op, Tensor t, String name, int rank, String meaning) {
    if (t.rank() < rank) {
      throw fail(op, name + " must be " + meaning + " (rank >= " + rank + ") but has shape " + Arrays.toString(t.shape()));
    }
  }

  static void positive(String op, String name, long value) {
    if (value < 1) {
      throw fail(op, name + " must be >= 1, got " + value);
    }
  }

  /** {@code out} must not share any byte with {@code in} (ops that read after they write). */
  static void disjoint(String op, Tensor out, String outName, Tensor in, String inName) {
    if (in != null && overlaps(out, in)) {
      throw fail(op, outName + " overlaps " + inName + ", which this op does not allow: use a separate output");
    }
  }

  /** {@code out} may be exactly {@code in} (an in-place op) but must not partly overlap it. */
  static void sameOrDisjoint(String op, Tensor out, String outName, Tensor in, String inName) {
    if (in != null
        && overlaps(out, in)
        && !(out.address() == in.address() && out.byteSize() == in.byteSize())) {
      throw fail(op, outName + " partly overlaps " + inName + ": pass the same memory or none of it");
    }
  }

  private static boolean overlaps(Tensor a, Tensor b) {
    if (!a.device().equals(b.device()) || a.byteSize() == 0 || b.byteSize() == 0) {
      return false;
    }
    long a0 = a.address();
    long b0 = b.address();
    return a0 < b0 + b.byteSize() && b0 < a0 + a.byteSize();
  }
}
