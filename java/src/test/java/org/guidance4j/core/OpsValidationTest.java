package org.guidance4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The Java-side checks name the argument and both shapes before native code runs. */
class OpsValidationTest {
  private static final Device CPU = Device.cpu();

  private static void assertMessage(Exception e, String... parts) {
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
    }
  }

  @Test
  void conv2dNamesTheWeightAndTheExpectedShape() {
    try (Tensor x = Tensor.empty(CPU, DType.F32, 2, 4, 8, 8);
        Tensor w = Tensor.empty(CPU, DType.F32, 16, 3, 3, 3)) {
      InvalidArgumentException e =
          assertThrows(InvalidArgumentException.class, () -> Ops.conv2d(x, w, null, 1, 1));
      assertMessage(e, "Ops.conv2d", "weight", "[16, 3, 3, 3]", "[16, 4, 3, 3]");
    }
  }

  @Test
  void conv2dOutputShapeAndWrongOut() {
    try (Tensor x = Tensor.empty(CPU, DType.F32, 1, 2, 7, 5);
        Tensor w = Tensor.empty(CPU, DType.F32, 3, 2, 3, 3);
        Tensor bad = Tensor.empty(CPU, DType.F32, 1, 3, 7, 5)) {
      Ops.fill(x, 1f);
      Ops.fill(w, 1f);
      try (Tensor y = Ops.conv2d(x, w, null, 2, 1)) {
        assertArrayEquals(new long[] {1, 3, 4, 3}, y.shape());
      }
      InvalidArgumentException e =
          assertThrows(InvalidArgumentException.class, () -> Ops.conv2dInto(x, w, null, null, 2, 1, bad));
      assertMessage(e, "out", "[1, 3, 7, 5]", "[1, 3, 4, 3]");
    }
  }

  @Test
  void elementwiseOpsCheckShapesDtypesAndAliasing() {
    try (Tensor a = Tensor.empty(CPU, DType.F32, 4, 5);
        Tensor b = Tensor.empty(CPU, DType.F32, 5, 4);
        Tensor h = Tensor.empty(CPU, DType.BF16, 4, 5)) {
      assertMessage(assertThrows(InvalidArgumentException.class, () -> Ops.add(a, b)), "Ops.add", "b has shape", "[5, 4]", "[4, 5]");
      assertMessage(assertThrows(InvalidArgumentException.class, () -> Ops.add(a, h)), "BF16", "F32");
      assertMessage(
          assertThrows(InvalidArgumentException.class, () -> Ops.axpby(1f, a, 2f, null)), "beta");
      Tensor flat = a.reshape(20);
      InvalidArgumentException partial =
          assertThrows(
              InvalidArgumentException.class,
              () -> Ops.siluInto(flat.slice(0, 10), flat.slice(5, 15)));
      assertMessage(partial, "overlaps");
      Ops.fill(a, 1f);
      Ops.siluInto(a, a); // exactly in place is allowed
    }
  }

  @Test
  void groupNormChecksGroupsAndScaleShift() {
    try (Tensor x = Tensor.empty(CPU, DType.F32, 2, 6, 3, 3);
        Tensor ss = Tensor.empty(CPU, DType.F32, 2, 6)) {
      assertMessage(
          assertThrows(InvalidArgumentException.class, () -> Ops.groupNorm(x, 4, 1e-5f, null, null, false)),
          "divisible", "6", "4");
      assertMessage(
          assertThrows(
              InvalidArgumentException.class,
              () -> Ops.adaptiveGroupNorm(x, 3, 1e-5f, null, null, ss, true)),
          "scaleShift", "[2, 6]", "[2, 12]");
    }
  }

  @Test
  void attentionAndGemmShapes() {
    try (Tensor qkv = Tensor.empty(CPU, DType.F32, 2, 10, 7);
        Tensor a = Tensor.empty(CPU, DType.F32, 3, 4);
        Tensor b = Tensor.empty(CPU, DType.F32, 5, 6);
        Tensor c = Tensor.empty(CPU, DType.F32, 3, 6)) {
      assertMessage(
          assertThrows(InvalidArgumentException.class, () -> Ops.attention(qkv, 2, QkvLayout.LEGACY)),
          "10 channels", "6");
      assertMessage(
          assertThrows(InvalidArgumentException.class, () -> Ops.gemm(false, false, 1f, a, b, 0f, c)),
          "[4, 6]");
    }
  }

  @Test
  void closedTensorsAndForeignDevicesAreRejected() {
    Tensor a = Tensor.empty(CPU, DType.F32, 3);
    a.close();
    assertThrows(IllegalStateException.class, () -> Ops.silu(a));
  }
}
