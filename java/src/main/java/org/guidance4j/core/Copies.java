package org.guidance4j.core;

import java.util.Arrays;
import org.guidance4j.bindings.guidance4j_h;

/**
 * Layout changes done as strided copies (g4j_memcpy_2d) rather than kernels: row gathers for
 * embedding tables and column slices (channel concatenation is {@link Ops#concatChannels}).
 */
public final class Copies {
  private Copies() {}

  /** out[i, :] = table[indices[i], :] for a 2-D table (embedding lookup). */
  public static Tensor gatherRows(Tensor table, long[] indices) {
    String op = "Copies.gatherRows";
    Check.present(op, table, "table");
    if (table.rank() != 2) {
      throw Check.fail(op, "table must be 2-D, got " + table.describe());
    }
    long rows = table.dim(0);
    long rowBytes = table.dim(1) * table.dtype().byteSize();
    Tensor out = Tensor.empty(table.device(), table.dtype(), indices.length, table.dim(1));
    try {
      for (int i = 0; i < indices.length; i++) {
        if (indices[i] < 0 || indices[i] >= rows) {
          throw Check.fail(op, "index " + indices[i] + " at position " + i + " is outside [0, " + rows + ")");
        }
        copy2d(out, i * rowBytes, rowBytes, table, indices[i] * rowBytes, rowBytes, rowBytes, 1);
      }
      return out;
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
  }

  /** Columns [start, end) of every row of a 2-D tensor, as a new contiguous tensor. */
  public static Tensor columns(Tensor x, long start, long end) {
    String op = "Copies.columns";
    Check.present(op, x, "x");
    if (x.rank() != 2 || start < 0 || end < start || end > x.dim(1)) {
      throw Check.fail(op, "columns [" + start + ", " + end + ") of " + x.describe());
    }
    long es = x.dtype().byteSize();
    Tensor out = Tensor.empty(x.device(), x.dtype(), x.dim(0), end - start);
    try {
      copy2d(out, 0, (end - start) * es, x, start * es, x.dim(1) * es, (end - start) * es, x.dim(0));
      return out;
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
  }

  private static void copy2d(
      Tensor dst, long dstOffset, long dstPitch, Tensor src, long srcOffset, long srcPitch, long rowBytes, long rows) {
    if (rowBytes == 0 || rows == 0) {
      return;
    }
    Status.check(
        guidance4j_h.g4j_memcpy_2d(
            dst.device().currentStream().handle(),
            dst.ptr().reinterpret(dst.byteSize()).asSlice(dstOffset),
            dstPitch,
            src.ptr().reinterpret(src.byteSize()).asSlice(srcOffset),
            srcPitch,
            rowBytes,
            rows),
        "g4j_memcpy_2d");
  }
}
