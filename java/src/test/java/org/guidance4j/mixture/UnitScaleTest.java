package org.guidance4j.mixture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.guidance.Autoguidance;
import org.guidance4j.guidance.ClassifierFree;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.GuidedOutput;
import org.guidance4j.guidance.Unguided;
import org.junit.jupiter.api.Test;

/**
 * Scale 1 is the main (conditional) model alone, exactly, and the second evaluation is skipped,
 * as EDM2's sampler does for guidance == 1.
 */
class UnitScaleTest {
  static final GaussianMixture MIX = Mixtures.fourInTwoClasses();

  static float[] combined(Guidance g, Tensor x, long[] labels) {
    try (GuidedOutput out = g.evaluate(x, 500f, 2.0, labels)) {
      float[] a = out.a().toFloatArray();
      if (out.b() == null) {
        return a;
      }
      float[] b = out.b().toFloatArray();
      for (int i = 0; i < a.length; i++) {
        a[i] = a[i] + out.scale() * (b[i] - a[i]);
      }
      return a;
    }
  }

  @Test
  void scaleOneRunsTheMainModelOnly() {
    float[] data = new float[3 * 8];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) Math.sin(1.7 * i + 0.3);
    }
    long[] labels = {0, 1, 1};
    try (Tensor x = Tensor.fromArray(Device.cpu(), data, 3, 2, 2, 2)) {
      MixtureModel main = new MixtureModel(MIX, Mixtures.SHAPE, true);
      MixtureModel guide = new MixtureModel(MIX.broadened(1.5), Mixtures.SHAPE, true);
      float[] alone = combined(new Unguided(main), x, labels);
      assertEquals(3, main.evaluations());

      Guidance auto = new Autoguidance(main, guide, 1.0);
      assertArrayEquals(alone, combined(auto, x, labels));
      assertEquals(0, guide.evaluations(), "the guide must not run at w = 1");
      assertEquals(1, auto.evaluations(2.0));

      Guidance cfg = new ClassifierFree(main, 1.0);
      assertArrayEquals(alone, combined(cfg, x, labels));
      assertEquals(9, main.evaluations(), "no null-class half at gamma = 1");
      assertEquals(1, cfg.evaluations(2.0));

      combined(new Autoguidance(main, guide, 2.0), x, labels);
      assertEquals(3, guide.evaluations());
    }
  }
}
