package org.guidance4j.core;

import java.util.Arrays;
import org.guidance4j.bindings.guidance4j_h;

/**
 * Layout changes done as strided copies (g4j_memcpy_2d) rather than kernels: channel
 * concatenation for the U-Net's skip connections, row gathers for embedding tables, and
 * column slices.
 */
public final class Copies {
  private Copies() {}

  /** torch.cat([a, b], dim=1) for tensors equal in every dimension but 1. */
  public static Tensor concatDim1(Tensor a, Tensor b) {
    String op = "Copies.concatDim1";
    Check.present(op, a, "a");
    Check.present(op, b, "b");
    Check.tensor(op, b, "b", a.device(), a.dtype());
    long[] sa = a.shape();
    long[] sb = b.shape();
    if (sa.length < 2 || sa.length != sb.length) {
      throw Check.fail(op, "cannot concatenate " + a.describe() + " and " + b.describe() + " along dim 1");
    }
    for (int i = 0; i < sa.length; i++) {
      if (i != 1 && sa[i] != sb[i]) {
        throw Check.fail(
            op, "shapes " + Arrays.toString(sa) + " and " + Arrays.toString(sb) + " differ outside dim 1");
      }
    }
    long[] so = sa.clone();
    so[1] = sa[1] + sb[1];
    long rows = sa[0];
    long aRow = rows == 0 ? 0 : a.byteSize() / rows;
    long bRow = rows == 0 ? 0 : b.byteSize() / rows;
    Tensor out = Tensor.empty(a.device(), a.dtype(), so);
    try {
      copy2d(out, 0, aRow + bRow, a, 0, aRow, aRow, rows);
      copy2d(out, aRow, aRow + bRow, b, 0, bRow, bRow, rows);
      return out;
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
  }

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
