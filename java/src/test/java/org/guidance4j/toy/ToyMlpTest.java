package org.guidance4j.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.schedule.Prediction;
import org.junit.jupiter.api.Test;

/**
 * The shipped toy models (models/toy) against PyTorch's outputs for the same weights
 * (tools/make_toy_fixtures.py): D(x; sigma) within 1e-5 relative, the model fed x_vp = x / sqrt(1 + sigma²)
 * as the samplers feed it, one batch with a different sigma per sample.
 */
class ToyMlpTest {
  static Path models() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("models/toy/main"))) {
        return p.resolve("models/toy");
      }
    }
    throw new IllegalStateException("models/toy not found above " + Path.of("").toAbsolutePath());
  }

  @Test
  void matchesPyTorch() throws Exception {
    Map<String, Object> fix = ToyFixtures.load("mlp.json");
    assertEquals(List.of("main", "uncond", "weak"), fix.keySet().stream().sorted().toList());
    double worst = 0;
    for (String name : fix.keySet()) {
      Map<String, Object> f = ToyFixtures.map(fix.get(name));
      List<Object> xs = ToyFixtures.list(f.get("x"));
      double[] sigma = ToyFixtures.doubles(f.get("sigma"));
      List<Object> ds = ToyFixtures.list(f.get("denoise"));
      int n = sigma.length;
      float[] in = new float[2 * n];
      float[] noise = new float[n];
      for (int i = 0; i < n; i++) {
        double[] x = ToyFixtures.doubles(xs.get(i));
        double up = Math.sqrt(1 + sigma[i] * sigma[i]);
        in[2 * i] = (float) (x[0] / up);
        in[2 * i + 1] = (float) (x[1] / up);
      }
      try (ToyMlp m = ToyMlp.load(models().resolve(name), Device.cpu());
          Tensor x = Tensor.fromArray(Device.cpu(), in, n, 2, 1, 1)) {
        for (int i = 0; i < n; i++) {
          noise[i] = m.noiseInput(sigma[i]);
        }
        try (Tensor out = m.forward(x, noise, null)) {
          float[] d = out.toFloatArray();
          for (int i = 0; i < n; i++) {
            double[] expected = ToyFixtures.doubles(ds.get(i));
            for (int c = 0; c < 2; c++) {
              // x_vp rounded to float32 and scaled back loses ~1e-7 relative before the network
              double err = Math.abs(d[2 * i + c] - expected[c]) / Math.max(Math.abs(expected[c]), 1e-2);
              worst = Math.max(worst, err);
              assertTrue(err <= 1e-5, name + " sample " + i + " (sigma " + sigma[i] + ") channel " + c + ": " + d[2 * i + c] + " vs " + expected[c]);
            }
          }
        }
      }
    }
    System.out.printf("toy MLPs vs PyTorch: worst relative error %.2e%n", worst);
  }

  @Test
  void isAContinuousStartXModel() throws Exception {
    try (ToyMlp m = ToyMlp.load(models().resolve("weak"), Device.cpu())) {
      assertEquals(Prediction.START_X, m.prediction());
      assertEquals(false, m.discrete());
      assertEquals(0.25f, m.noiseInput(0.25));
      assertEquals(List.of(2L, 1L, 1L), java.util.Arrays.stream(m.sampleShape()).boxed().toList());
      UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, m::diffusion);
      assertTrue(e.getMessage().contains("ToyMlp"), e.getMessage());
    }
  }
}
