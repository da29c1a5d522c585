package org.guidance4j.nn.adm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ADM networks against golden outputs of the project's PyTorch reference
 * (tools/make_adm_fixtures.py), computed in float64 from the same weights: relative L2 within
 * 1e-5 (the reference's own float32-vs-float64 difference is about 1e-6).
 */
class AdmFixtureTest {
  static final double TOLERANCE = 1e-5;

  static Path fixture(String name) throws URISyntaxException {
    return Paths.get(AdmFixtureTest.class.getResource("/fixtures/adm/" + name + "/config.json").toURI()).getParent();
  }

  static float[] floats(Path p) throws IOException {
    return Npy.read(p).toFloatArray();
  }

  static double relL2(float[] got, float[] want) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < want.length; i++) {
      double d = (double) got[i] - want[i];
      num += d * d;
      den += (double) want[i] * want[i];
    }
    return Math.sqrt(num / den);
  }

  @ParameterizedTest
  @ValueSource(strings = {"unet_a", "unet_b", "unet_c", "unet_d"})
  void unetMatchesReference(String name) throws Exception {
    Path dir = fixture(name);
    NpyArray x = Npy.read(dir.resolve("x.npy"));
    float[] t = toFloat(Npy.read(dir.resolve("t.npy")).toLongArray());
    Path yFile = dir.resolve("y.npy");
    long[] y = Files.exists(yFile) ? Npy.read(yFile).toLongArray() : null;
    float[] want = floats(dir.resolve("out.npy"));
    try (AdmUNet net = AdmUNet.load(dir, Device.cpu(), DType.F32);
        Tensor xt = Tensor.fromArray(Device.cpu(), x.toFloatArray(), x.shape());
        Tensor out = net.forward(xt, t, y)) {
      assertArrayEquals(Npy.read(dir.resolve("out.npy")).shape(), out.shape(), "output shape");
      double err = relL2(out.toFloatArray(), want);
      assertTrue(err < TOLERANCE, name + ": relative L2 " + err + " >= " + TOLERANCE);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"classifier_a", "classifier_b"})
  void classifierLogitsMatchReference(String name) throws Exception {
    Path dir = fixture(name);
    NpyArray x = Npy.read(dir.resolve("x.npy"));
    float[] t = toFloat(Npy.read(dir.resolve("t.npy")).toLongArray());
    Path logitsFile = Files.exists(dir.resolve("logits.npy")) ? dir.resolve("logits.npy") : dir.resolve("out.npy");
    float[] want = floats(logitsFile);
    try (AdmClassifier net = AdmClassifier.load(dir, Device.cpu(), DType.F32);
        Tensor xt = Tensor.fromArray(Device.cpu(), x.toFloatArray(), x.shape());
        Tensor out = net.forward(xt, t)) {
      double err = relL2(out.toFloatArray(), want);
      assertTrue(err < TOLERANCE, name + ": relative L2 " + err + " >= " + TOLERANCE);
    }
  }

  static float[] toFloat(long[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = v[i];
    }
    return f;
  }
}
