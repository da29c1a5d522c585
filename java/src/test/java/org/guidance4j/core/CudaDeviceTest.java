package org.guidance4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Runs only where a CUDA device is present; elsewhere each test is skipped with the reason. */
class CudaDeviceTest {
  private Device gpu;

  @BeforeEach
  void needsCuda() {
    Assumptions.assumeTrue(Device.cudaAvailable(), "no CUDA device: " + Device.cudaUnavailableReason());
    gpu = Device.cuda(0);
  }

  @Test
  void describesTheDevice() {
    assertTrue(gpu.isCuda());
    assertTrue(gpu.totalMemory().orElse(0) > 0);
    assertTrue(!gpu.name().isBlank());
    assertTrue(gpu.supports(DType.F32) && gpu.supports(DType.F16) && gpu.supports(DType.BF16));
  }

  @Test
  void copiesToAndFromTheDeviceAndComputesThere() {
    Random r = new Random(5);
    float[] data = new float[1000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) r.nextGaussian();
    }
    long before = gpu.memoryStats().inUse();
    try (Tensor host = Tensor.fromArray(Device.cpu(), data, 10, 100);
        Tensor dev = host.copyTo(gpu);
        Tensor doubled = Ops.scale(dev, 2f);
        Tensor back = doubled.toHost()) {
      assertEquals(gpu, dev.device());
      assertArrayEquals(data, dev.toFloatArray());
      float[] got = back.toFloatArray();
      for (int i = 0; i < data.length; i++) {
        assertEquals(2 * data[i], got[i], 0f);
      }
      try (Tensor half = dev.to(DType.BF16)) {
        float[] h = half.toFloatArray();
        for (int i = 0; i < data.length; i++) {
          assertEquals(data[i], h[i], Math.abs(data[i]) * 0x1p-8 + 1e-30);
        }
      }
    }
    gpu.synchronize();
    assertEquals(before, gpu.memoryStats().inUse());
  }

  @Test
  void aSecondStreamCanWaitForTheDefaultOne() {
    try (Stream s = Stream.create(gpu)) {
      s.waitFor(gpu.defaultStream());
      s.synchronize();
    }
  }
}
