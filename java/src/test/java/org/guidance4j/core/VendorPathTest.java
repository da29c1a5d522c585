package org.guidance4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The vendor path as Java sees it. Where cuDNN and cuBLASLt are absent (this machine, CI) it must
 * say so and why; the switch must show in the description and come back; the call counts only
 * grow. With a GPU and the libraries, benchmarks/gpu-check.sh checks the path itself.
 */
class VendorPathTest {
  @Test
  void describesEveryOpFamilyAndWhy() {
    VendorPath.Info info = VendorPath.info();
    assertTrue(info.text().contains("conv2d"), info.text());
    if (!Device.cudaCompiled()) {
      assertFalse(info.cudnn() || info.cublasLt());
      assertTrue(info.text().contains("built without the CUDA backend"), info.text());
      return;
    }
    assertTrue(info.text().contains("gemm/linear"), info.text());
    if (!info.cudnn()) {
      assertTrue(info.text().contains("conv2d: hand-written (vendor path off: "), info.text());
    }
    if (!info.cublasLt()) {
      assertTrue(info.text().contains("gemm/linear: hand-written (vendor path off: "), info.text());
    }
  }

  @Test
  void switchesOffAndBackOn() {
    VendorPath.Info before = VendorPath.info();
    VendorPath.setEnabled(false);
    try {
      VendorPath.Info off = VendorPath.info();
      assertFalse(off.cudnn() || off.cublasLt());
      if (Device.cudaCompiled()) {
        assertTrue(off.text().contains("switched off"), off.text());
      }
    } finally {
      VendorPath.setEnabled(true);
    }
    if (!"0".equals(System.getenv("G4J_CUDA_VENDOR"))) {
      assertEquals(before, VendorPath.info());
    }
  }

  @Test
  void countsNeverDecreaseAndCpuOpsAreNotCounted() {
    VendorPath.Counts a = VendorPath.counts();
    try (Tensor x = Tensor.fromArray(Device.cpu(), new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
        Tensor w = Tensor.fromArray(Device.cpu(), new float[] {0.5f}, 1, 1, 1, 1);
        Tensor y = Ops.conv2d(x, w, null, 1, 0)) {
      assertEquals(2f, y.toFloatArray()[3], 0f);
    }
    VendorPath.Counts b = VendorPath.counts();
    assertEquals(a, b, "the CPU backend's conv2d is on neither CUDA path");
    assertTrue(b.convCudnn() >= 0 && b.convHandWritten() >= 0 && b.gemmCublasLt() >= 0 && b.gemmHandWritten() >= 0);
  }
}
