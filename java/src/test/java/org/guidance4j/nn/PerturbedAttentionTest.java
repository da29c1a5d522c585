package org.guidance4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.InvalidArgumentException;
import org.guidance4j.core.Tensor;
import org.guidance4j.nn.adm.AdmUNet;
import org.guidance4j.nn.edm2.Edm2Denoiser;
import org.junit.jupiter.api.Test;

/**
 * Perturbed attention in a real network (the fixture ADM U-Net `sampling/unet_e` and EDM2 net
 * `edm2_sampling/main`): the layers a request selects, and a perturbed forward that changes only
 * the rows it names, so that the perturbed model shares one batched forward with the model itself.
 * Rows outside the perturbation equal the plain forward bit for bit; perturbed rows equal a forward
 * of the same batch with every row perturbed. (That the perturbed rows are PAG's identity attention
 * is VariantParityTest's, against the float64 PyTorch reference.)
 */
class PerturbedAttentionTest {
  static Path fixture(String name) throws Exception {
    return Paths.get(PerturbedAttentionTest.class.getResource("/fixtures/" + name + "/config.json").toURI()).getParent();
  }

  static float[] random(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  static float[] rows(float[] all, int from, int to, int per) {
    return Arrays.copyOfRange(all, from * per, to * per);
  }

  @Test
  void selectionByCheckpointKey() {
    assertTrue(PerturbedAttention.selects("output_blocks.1", "output_blocks.1.1"));
    assertFalse(PerturbedAttention.selects("output_blocks.1", "output_blocks.10.1"));
    assertTrue(PerturbedAttention.selects("unet.dec.8x8", "unet.dec.8x8_in0"));
    assertTrue(PerturbedAttention.selects("middle_block.1", "middle_block.1"));
    List<String> all = List.of("input_blocks.3.1", "middle_block.1", "output_blocks.0.1", "output_blocks.1.1");
    assertEquals(List.of("middle_block.1"), new PerturbedAttention(List.of("mid"), 0, 1).resolve(all, List.of("middle_block.1")));
    assertEquals(
        List.of("output_blocks.0.1", "output_blocks.1.1", "middle_block.1"),
        new PerturbedAttention(List.of("output_blocks", "middle_block", "output_blocks.1"), 0, 1).resolve(all, List.of()));
    var e = assertThrows(InvalidArgumentException.class, () -> new PerturbedAttention(List.of("output_blocks.2"), 0, 1).resolve(all, List.of()));
    assertTrue(e.getMessage().contains("\"output_blocks.2\"") && e.getMessage().contains("output_blocks.1.1"), e.getMessage());
    assertThrows(InvalidArgumentException.class, () -> new PerturbedAttention(List.of(), 0, 1));
    assertThrows(InvalidArgumentException.class, () -> new PerturbedAttention(List.of("mid"), 2, 2));
  }

  @Test
  void admForwardPerturbsOnlyTheNamedRows() throws Exception {
    try (AdmUNet net = AdmUNet.load(fixture("sampling/unet_e"), Device.cpu(), DType.F32)) {
      assertEquals(List.of("input_blocks.3.1", "middle_block.1", "output_blocks.0.1", "output_blocks.1.1"), net.attentionLayers());
      assertEquals(List.of("middle_block.1"), net.middleAttentionLayers());
      int per = 3 * 16 * 16;
      float[] ts = {120.5f, 120.5f, 700, 700};
      long[] labels = {3, 7, 3, 7};
      for (List<String> layers : List.of(List.of("mid"), List.of("output_blocks", "input_blocks.3"))) {
        try (Tensor x = Tensor.fromArray(Device.cpu(), random(4 * per, 9), 4, 3, 16, 16);
            Tensor plain = net.forward(x, ts, labels);
            Tensor half = net.forward(x, ts, labels, new PerturbedAttention(layers, 2, 4));
            Tensor all = net.forward(x, ts, labels, new PerturbedAttention(layers, 0, 4))) {
          float[] p = plain.toFloatArray();
          float[] h = half.toFloatArray();
          float[] a = all.toFloatArray();
          assertArrayEquals(rows(p, 0, 2, per), rows(h, 0, 2, per), layers + ": rows before the perturbed ones");
          assertArrayEquals(rows(a, 2, 4, per), rows(h, 2, 4, per), layers + ": perturbed rows");
          assertFalse(Arrays.equals(rows(p, 2, 4, per), rows(h, 2, 4, per)), layers + ": the perturbation changes the output");
        }
      }
    }
  }

  @Test
  void edm2ForwardPerturbsOnlyTheNamedRows() throws Exception {
    try (Edm2Denoiser net = Edm2Denoiser.load(fixture("edm2_sampling/main"), Device.cpu(), DType.F32)) {
      assertEquals(List.of("unet.enc.4x4_block0", "unet.dec.4x4_in0", "unet.dec.4x4_block0", "unet.dec.4x4_block1"), net.attentionLayers());
      assertEquals(List.of("unet.dec.4x4_in0"), net.middleAttentionLayers());
      int per = 3 * 8 * 8;
      float[] sigmas = {0.7f, 0.7f, 0.7f};
      long[] labels = {3, 0, 4};
      try (Tensor x = Tensor.fromArray(Device.cpu(), random(3 * per, 10), 3, 3, 8, 8);
          Tensor plain = net.forward(x, sigmas, labels);
          Tensor mid = net.forward(x, sigmas, labels, new PerturbedAttention(List.of("unet.dec"), 1, 2));
          Tensor all = net.forward(x, sigmas, labels, new PerturbedAttention(List.of("unet.dec"), 0, 3))) {
        float[] p = plain.toFloatArray();
        float[] m = mid.toFloatArray();
        float[] a = all.toFloatArray();
        assertArrayEquals(rows(p, 0, 1, per), rows(m, 0, 1, per), "row before");
        assertArrayEquals(rows(p, 2, 3, per), rows(m, 2, 3, per), "row after");
        assertArrayEquals(rows(a, 1, 2, per), rows(m, 1, 2, per), "the perturbed row");
        assertFalse(Arrays.equals(rows(p, 1, 2, per), rows(m, 1, 2, per)));
      }
    }
  }
}
