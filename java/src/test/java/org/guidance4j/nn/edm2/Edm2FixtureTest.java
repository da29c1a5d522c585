package org.guidance4j.nn.edm2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.diffusion.Edm2Model;
import org.guidance4j.diffusion.Models;
import org.guidance4j.diffusion.schedule.Prediction;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;
import org.guidance4j.io.SafetensorsFile;
import org.guidance4j.io.SafetensorsWriter;
import org.guidance4j.nn.CheckpointMismatchException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The EDM2 denoiser against golden outputs of the project's PyTorch reference
 * (tools/make_edm2_fixtures.py, float64 from the same weights): relative L2 within 1e-5 (the
 * reference's own float32-vs-float64 difference is at most 7e-7 on these fixtures).
 */
class Edm2FixtureTest {
  static final double TOLERANCE = 1e-5;
  static final String[] ALL = {"cond_a", "uncond_b", "cond_c", "cond_nolabel_d"};

  static Path fixture(String name) throws URISyntaxException {
    return Paths.get(Edm2FixtureTest.class.getResource("/fixtures/edm2/" + name + "/config.json").toURI()).getParent();
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

  record Case(NpyArray x, float[] sigma, long[] y, NpyArray out) {
    static Case read(Path dir) throws IOException {
      Path yFile = dir.resolve("y.npy");
      return new Case(
          Npy.read(dir.resolve("x.npy")), Npy.read(dir.resolve("sigma.npy")).toFloatArray(),
          Files.exists(yFile) ? Npy.read(yFile).toLongArray() : null, Npy.read(dir.resolve("out.npy")));
    }
  }

  static double runDenoiser(String name, Device device, DType dtype) throws Exception {
    Path dir = fixture(name);
    Case c = Case.read(dir);
    try (Edm2Denoiser net = Edm2Denoiser.load(dir, device, dtype);
        Tensor host = Tensor.fromArray(Device.cpu(), c.x().toFloatArray(), c.x().shape());
        Tensor x = device.isCpu() ? host.reshape(host.shape()) : host.copyTo(device);
        Tensor out = net.forward(x, c.sigma(), c.y());
        Tensor back = out.toHost()) {
      assertArrayEquals(c.out().shape(), out.shape(), "output shape");
      return relL2(back.toFloatArray(), c.out().toFloatArray());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"cond_a", "uncond_b", "cond_c", "cond_nolabel_d"})
  void denoiserMatchesReference(String name) throws Exception {
    double err = runDenoiser(name, Device.cpu(), DType.F32);
    assertTrue(err < TOLERANCE, name + ": relative L2 " + err + " >= " + TOLERANCE);
  }

  /** The DiffusionModel view: variance-preserving input, x0 prediction, sigma as noise input. */
  @ParameterizedTest
  @ValueSource(strings = {"cond_a", "uncond_b"})
  void modelTakesVariancePreservingInput(String name) throws Exception {
    Path dir = fixture(name);
    Case c = Case.read(dir);
    float[] x = c.x().toFloatArray();
    int n = c.sigma().length;
    int per = x.length / n;
    float[] xvp = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      xvp[i] = (float) (x[i] / Math.sqrt(1 + (double) c.sigma()[i / per] * c.sigma()[i / per]));
    }
    try (DiffusionModel model = Models.load(dir, Device.cpu(), DType.F32);
        Tensor xt = Tensor.fromArray(Device.cpu(), xvp, c.x().shape())) {
      assertTrue(model instanceof Edm2Model);
      assertEquals(Prediction.START_X, model.prediction());
      assertTrue(!model.discrete());
      assertEquals(-1, model.nullClass());
      assertEquals(2.5f, model.noiseInput(2.5));
      assertArrayEquals(new long[] {c.x().shape()[1], c.x().shape()[2], c.x().shape()[3]}, model.sampleShape());
      UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, model::diffusion);
      assertTrue(e.getMessage().contains("heun"), e.getMessage());
      float[] noise = new float[n];
      for (int i = 0; i < n; i++) {
        noise[i] = model.noiseInput(c.sigma()[i]);
      }
      try (Tensor out = model.forward(xt, noise, c.y())) {
        double err = relL2(out.toFloatArray(), c.out().toFloatArray());
        assertTrue(err < 2 * TOLERANCE, name + ": relative L2 " + err);
      }
    }
  }

  @Test
  void cudaMatchesReference() throws Exception {
    Assumptions.assumeTrue(Device.cudaDeviceCount() > 0, "no CUDA device: the CUDA variant is skipped");
    for (String name : ALL) {
      double err = runDenoiser(name, Device.cuda(0), DType.F32);
      assertTrue(err < 1e-4, name + " (CUDA F32): relative L2 " + err);
      double half = runDenoiser(name, Device.cuda(0), DType.BF16);
      assertTrue(half < 5e-2, name + " (CUDA BF16): relative L2 " + half);
    }
  }

  /** Copies fixture cond_a into dir with one tensor replaced by zeros of {@code shape} (dropped when null). */
  static void copyWith(Path dir, String key, long[] shape) throws Exception {
    Path src = fixture("cond_a");
    Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
    Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
    try (SafetensorsFile f = SafetensorsFile.open(src.resolve("model.safetensors"))) {
      for (String k : f.keys()) {
        var e = f.find(k).orElseThrow();
        if (k.equals(key)) {
          if (shape != null) {
            long n = 1;
            for (long d : shape) {
              n *= d;
            }
            tensors.put(k, SafetensorsWriter.Tensor.ofFloats(shape, new float[(int) n]));
          }
          continue;
        }
        byte[] bytes = e.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        tensors.put(k, SafetensorsWriter.Tensor.ofBytes(e.dtype(), e.shape(), bytes));
      }
    }
    SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors);
  }

  @Test
  void missingKeyIsNamed(@TempDir Path dir) throws Exception {
    copyWith(dir, "unet.enc.4x4_block0.attn_qkv.weight", null);
    CheckpointMismatchException e =
        assertThrows(CheckpointMismatchException.class, () -> Edm2Denoiser.load(dir, Device.cpu(), DType.F32));
    assertEquals("unet.enc.4x4_block0.attn_qkv.weight", e.key(), e.getMessage());
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void wrongShapeIsNamed(@TempDir Path dir) throws Exception {
    copyWith(dir, "unet.dec.8x8_block1.conv_skip.weight", new long[] {8, 15, 1, 1});
    CheckpointMismatchException e =
        assertThrows(CheckpointMismatchException.class, () -> Edm2Denoiser.load(dir, Device.cpu(), DType.F32));
    assertEquals("unet.dec.8x8_block1.conv_skip.weight", e.key(), e.getMessage());
    assertTrue(e.getMessage().contains("[8, 15, 1, 1]"), e.getMessage());
  }
}
