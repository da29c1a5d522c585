package org.guidance4j.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Ops;
import org.guidance4j.core.Tensor;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;
import org.junit.jupiter.api.Test;

/**
 * The samplers' noise against tools/philox.py, the NumPy implementation of g4j_randn the sampler
 * references draw from: seed 0x123456789ABC (both key words), stream 5, global samples 7..9, 771
 * values each (an odd count: the last Philox quad is cut short). The Philox bits and u(r) are exact
 * in both; only NumPy's float32 log/cos/sin and the C library's logf/cosf/sinf may differ, by an
 * ulp or so, so each value must agree to 8 float32 ulps of itself (plus 1e-7 near zero, where the
 * angle's cos/sin is small and its absolute error, not its ulp, is what rounds).
 */
class PhiloxNoiseTest {
  @Test
  void nativeNoiseIsPhiloxPy() throws IOException {
    NpyArray want = Npy.read(SamplerCases.fixtures().resolve("sampling/noise.npy"));
    assertArrayEquals(new long[] {3, 771}, want.shape());
    float[] w = want.toFloatArray();
    try (Tensor got = Ops.randn(Device.cpu(), DType.F32, 0x1234_5678_9ABCL, 5, 7, 3, 771)) {
      float[] g = got.toFloatArray();
      double worst = 0;
      int exact = 0;
      for (int i = 0; i < w.length; i++) {
        double dev = Math.abs(g[i] - w[i]);
        double bound = 8 * Math.ulp(w[i]) + 1e-7;
        assertTrue(dev <= bound, "value " + i + ": native " + g[i] + ", philox.py " + w[i]);
        worst = Math.max(worst, dev);
        exact += g[i] == w[i] ? 1 : 0;
      }
      System.out.printf("native randn vs philox.py: %d of %d values identical, max |difference| %.2e%n", exact, w.length, worst);
    }
  }
}
