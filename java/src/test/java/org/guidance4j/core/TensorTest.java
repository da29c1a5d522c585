package org.guidance4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TensorTest {
  private static final Device CPU = Device.cpu();

  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  @Test
  void roundTripThroughAnArray() {
    float[] data = random(2 * 3 * 5, 1);
    try (Tensor t = Tensor.fromArray(CPU, data, 2, 3, 5)) {
      assertArrayEquals(new long[] {2, 3, 5}, t.shape());
      assertEquals(DType.F32, t.dtype());
      assertEquals(30, t.numel());
      assertEquals(120, t.byteSize());
      assertArrayEquals(data, t.toFloatArray());
    }
  }

  @Test
  void cpuMemoryIs64ByteAlignedAndTheSegmentIsZeroCopy() {
    try (Tensor t = Tensor.empty(CPU, DType.F32, 7, 3)) {
      MemorySegment s = t.segment();
      assertEquals(0, s.address() % 64);
      assertEquals(t.byteSize(), s.byteSize());
      s.setAtIndex(ValueLayout.JAVA_FLOAT, 4, 42f);
      assertEquals(42f, t.toFloatArray()[4]);
      assertEquals(s.address(), t.segment().address());
    }
  }

  @Test
  void closeIsIdempotentAndFreesTheMemory() {
    long before = CPU.memoryStats().inUse();
    Tensor t = Tensor.empty(CPU, DType.F32, 1000);
    assertEquals(before + 4000, CPU.memoryStats().inUse());
    t.close();
    t.close();
    assertTrue(t.isClosed());
    assertEquals(before, CPU.memoryStats().inUse());
    assertThrows(IllegalStateException.class, t::segment);
    assertThrows(IllegalStateException.class, t::toFloatArray);
  }

  @Test
  void reshapeAndSliceAreViewsOwnedByTheParent() {
    float[] data = random(4 * 6, 2);
    long before = CPU.memoryStats().inUse();
    Tensor parent = Tensor.fromArray(CPU, data, 4, 6);
    Tensor flat = parent.reshape(-1);
    Tensor grid = parent.reshape(2, 3, 4);
    Tensor rows = parent.slice(1, 3);
    assertArrayEquals(new long[] {24}, flat.shape());
    assertArrayEquals(new long[] {2, 3, 4}, grid.shape());
    assertArrayEquals(new long[] {2, 6}, rows.shape());
    assertFalse(rows.ownsMemory());
    assertEquals(parent.segment().address() + 6 * 4, rows.segment().address());

    float[] expected = new float[12];
    System.arraycopy(data, 6, expected, 0, 12);
    assertArrayEquals(expected, rows.toFloatArray());

    // writes through a view are seen by the parent: one buffer
    Ops.fill(rows, 3f);
    assertEquals(3f, parent.toFloatArray()[6]);
    assertEquals(data[5], parent.toFloatArray()[5]);

    rows.close();
    rows.close();
    assertEquals(before + 96, CPU.memoryStats().inUse(), "closing a view frees nothing");
    assertEquals(3f, grid.toFloatArray()[6]);

    parent.close();
    assertEquals(before, CPU.memoryStats().inUse());
    IllegalStateException e = assertThrows(IllegalStateException.class, flat::toFloatArray);
    assertTrue(e.getMessage().contains("freed"), e.getMessage());
    grid.close();
    flat.close();
  }

  @Test
  void badShapesAreRejectedWithBothShapes() {
    try (Tensor t = Tensor.empty(CPU, DType.F32, 4, 6)) {
      InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> t.reshape(5, 5));
      assertTrue(e.getMessage().contains("[4, 6]") && e.getMessage().contains("[5, 5]"), e.getMessage());
      assertThrows(InvalidArgumentException.class, () -> t.reshape(-1, -1));
      assertThrows(InvalidArgumentException.class, () -> t.slice(2, 5));
      assertThrows(InvalidArgumentException.class, () -> Tensor.fromArray(CPU, new float[5], 2, 3));
      assertThrows(InvalidArgumentException.class, () -> Tensor.empty(CPU, DType.F32, 2, -1));
    }
  }

  @Test
  void copiesOwnTheirMemory() {
    float[] data = random(10, 3);
    try (Tensor a = Tensor.fromArray(CPU, data)) {
      Tensor b = a.copyTo(CPU);
      Tensor c = a.toHost();
      a.close();
      assertArrayEquals(data, b.toFloatArray());
      assertArrayEquals(data, c.toFloatArray());
      assertTrue(b.ownsMemory());
      b.close();
      c.close();
    }
  }

  @Test
  void castRoundTripsThroughHalfPrecisionOnTheCpu() {
    float[] data = random(33, 4);
    try (Tensor a = Tensor.fromArray(CPU, data);
        Tensor h = a.to(DType.BF16);
        Tensor f = a.to(DType.F16)) {
      assertEquals(DType.BF16, h.dtype());
      assertEquals(66, h.byteSize());
      float[] fromBf16 = h.toFloatArray();
      float[] fromF16 = f.toFloatArray();
      for (int i = 0; i < data.length; i++) {
        assertEquals(data[i], fromBf16[i], Math.abs(data[i]) * 0x1p-8 + 1e-30, "bf16 " + i);
        assertEquals(data[i], fromF16[i], Math.abs(data[i]) * 0x1p-11 + 0x1p-24, "f16 " + i);
      }
    }
  }

  @Test
  void emptyTensorsWork() {
    try (Tensor t = Tensor.empty(CPU, DType.F32, 0, 3)) {
      assertEquals(0, t.numel());
      assertEquals(0, t.toFloatArray().length);
      assertEquals(0, t.segment().byteSize());
    }
  }

  @Test
  void pinnedTensorsAreHostTensors() {
    try (Tensor t = Tensor.pinned(DType.F32, 3, 3)) {
      assertEquals(CPU, t.device());
      Ops.fill(t, 2.5f);
      assertArrayEquals(new float[] {2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f}, t.toFloatArray());
    }
  }

  @Test
  void segmentOfACudaTensorPointsToToHost() {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Device.cudaAvailable(), "no CUDA device: " + Device.cudaUnavailableReason());
    try (Tensor t = Tensor.empty(Device.cuda(0), DType.F32, 4)) {
      UnsupportedOnDeviceException e = assertThrows(UnsupportedOnDeviceException.class, t::segment);
      assertTrue(e.getMessage().contains("toHost"), e.getMessage());
    }
  }
}
