package org.guidance4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;
import org.guidance4j.nn.adm.AdmClassifier;
import org.junit.jupiter.api.Test;

class ClassifierFeaturesTest {
  static Path fixture(String name) throws Exception {
    return Paths.get(ClassifierFeaturesTest.class.getResource("/fixtures/adm/" + name + "/config.json").toURI()).getParent();
  }

  /** The repository's models/ folder, searched upwards from the working directory (Maven runs in java/). */
  static Path models() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("models/digits-classifier/config.json"))) {
        return p.resolve("models");
      }
    }
    throw new IllegalStateException("models/ not found above " + Path.of("").toAbsolutePath());
  }

  /** The features pass gives the same logits as the plain forward, and SiLU-bounded features per channel. */
  @Test
  void logitsAsTheForwardAndFeaturesOfTheLastActivations() throws Exception {
    Path dir = fixture("classifier_a");
    NpyArray x = Npy.read(dir.resolve("x.npy"));
    int n = (int) x.shape()[0];
    float[] t = new float[n];
    long[] ts = Npy.read(dir.resolve("t.npy")).toLongArray();
    for (int i = 0; i < n; i++) {
      t[i] = ts[i];
    }
    try (AdmClassifier net = AdmClassifier.load(dir, Device.cpu(), DType.F32);
        Tensor xt = Tensor.fromArray(Device.cpu(), x.toFloatArray(), x.shape());
        Tensor logits = net.forward(xt, t);
        AdmClassifier.Outputs both = net.forwardWithFeatures(xt, t)) {
      assertArrayEquals(logits.toFloatArray(), both.logits().toFloatArray(), "same logits");
      assertEquals(n, both.features().dim(0));
      assertEquals(2, both.features().rank());
      for (float f : both.features().toFloatArray()) {
        // means of SiLU outputs: never below SiLU's minimum, -0.2785
        assertTrue(Float.isFinite(f) && f > -0.279f, "feature " + f);
      }
    }
  }

  /**
   * The exported held-out digits through the shipped classifier: its held-out accuracy as
   * training measured it in PyTorch (training.json: 0.99721 = 358 of 359), so the export, the
   * channel repeat and the features pass all see the images the classifier was trained on.
   */
  @Test
  void shippedClassifierOnTheHeldOutDigits() throws Exception {
    Path m = models();
    try (AdmClassifier c = AdmClassifier.load(m.resolve("digits-classifier"), Device.cpu(), DType.F32)) {
      RealImages real =
          RealImages.read(m.resolve("digits-heldout.npy"), m.resolve("digits-heldout-labels.npy"), new long[] {3, 16, 16});
      assertEquals(359, real.count());
      ClassifierFeatures f;
      try (Tensor x = real.tensor()) {
        f = ClassifierFeatures.of(c, x, 64);
      }
      assertEquals(358.0 / 359, f.accuracy(real.labels()), 1e-12);
      assertEquals(359, f.features().length);
      assertEquals(64, f.features()[0].length);
    }
  }
}
