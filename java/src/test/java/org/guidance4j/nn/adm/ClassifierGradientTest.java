package org.guidance4j.nn.adm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Tensor;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The classifier's input gradient, d/dx sum_i log_softmax(logits_i)[y_i], against grad.npy of
 * the golden fixtures (PyTorch autograd in float64 on the same weights): relative L2 within 1e-5,
 * where the reference's own float32 run lands 1.2e-6 to 1.8e-6 away.
 */
class ClassifierGradientTest {
  @ParameterizedTest
  @ValueSource(strings = {"classifier_a", "classifier_b"})
  void inputGradientMatchesReference(String name) throws Exception {
    Path dir = AdmFixtureTest.fixture(name);
    NpyArray x = Npy.read(dir.resolve("x.npy"));
    float[] t = AdmFixtureTest.toFloat(Npy.read(dir.resolve("t.npy")).toLongArray());
    long[] y = Npy.read(dir.resolve("y.npy")).toLongArray();
    NpyArray want = Npy.read(dir.resolve("grad.npy"));
    try (AdmClassifier net = AdmClassifier.load(dir, Device.cpu(), DType.F32);
        Tensor xt = Tensor.fromArray(Device.cpu(), x.toFloatArray(), x.shape());
        Tensor grad = net.inputGradient(xt, t, y)) {
      assertArrayEquals(want.shape(), grad.shape(), "gradient shape");
      double err = AdmFixtureTest.relL2(grad.toFloatArray(), want.toFloatArray());
      System.out.printf("%s: input gradient relative L2 %.3g%n", name, err);
      assertTrue(err < AdmFixtureTest.TOLERANCE, name + ": relative L2 " + err + " >= " + AdmFixtureTest.TOLERANCE);
      // The recorded forward must not disturb the plain one.
      try (Tensor logits = net.forward(xt, t)) {
        double logitErr = AdmFixtureTest.relL2(logits.toFloatArray(), Npy.read(dir.resolve("out.npy")).toFloatArray());
        assertTrue(logitErr < AdmFixtureTest.TOLERANCE, name + ": logits after the gradient, relative L2 " + logitErr);
      }
    }
  }

  @Test
  void labelsAreChecked() throws Exception {
    Path dir = AdmFixtureTest.fixture("classifier_a");
    NpyArray x = Npy.read(dir.resolve("x.npy"));
    int n = (int) x.shape()[0];
    float[] t = new float[n];
    try (AdmClassifier net = AdmClassifier.load(dir, Device.cpu(), DType.F32);
        Tensor xt = Tensor.fromArray(Device.cpu(), x.toFloatArray(), x.shape())) {
      long[] outOfRange = new long[n];
      outOfRange[n - 1] = net.config().outChannels();
      assertThrows(InvalidArgumentException.class, () -> net.inputGradient(xt, t, outOfRange));
      assertThrows(InvalidArgumentException.class, () -> net.inputGradient(xt, t, new long[n + 1]));
      assertThrows(InvalidArgumentException.class, () -> net.inputGradient(xt, t, null));
    }
  }

  @Test
  void logSoftmaxGradientRowsSumToZero() {
    float[] g = AdmClassifier.logSoftmaxGradient(new float[] {1f, 2f, 3f, 0f, 0f, 0f}, new long[] {2, 0}, 3);
    double p2 = Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3));
    assertTrue(Math.abs(g[2] - (1 - p2)) < 1e-6);
    assertTrue(Math.abs(g[3] - (1 - 1.0 / 3)) < 1e-6 && Math.abs(g[4] + 1.0 / 3) < 1e-6);
    assertTrue(Math.abs(g[0] + g[1] + g[2]) < 1e-6);
  }
}
