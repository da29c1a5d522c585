package org.guidance4j.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.AdmModel;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whole sampling runs against tools/make_sampler_fixtures.py: PyTorch float64 loops written to
 * guided-diffusion's ddim_sample_loop / p_sample_loop and EDM2's edm_sampler (over the discrete
 * model's denoiser view), on the same Philox noise. Each run uses batch 2 for its 3 samples, so
 * the second batch starts at global sample 2 and the per-sample noise streams are checked too.
 *
 * <p>Tolerance, per case: relative L2 below 10 x the case's "fp32_vs_fp64", the distance between
 * the PyTorch reference run in float32 and in float64 (2e-7 to 2.6e-6 over these cases; it grows
 * with the number of network evaluations and with CFG/autoguidance, whose differences of two
 * float32 outputs are amplified by the scale). The Java run is float32 too (network, and the fused
 * step with float32 coefficients) and lands at 0.8x to 1.4x of that distance; 10x leaves room for
 * other summation orders (threads, GPU) without hiding mistakes: perturbing the float64 reference
 * by hand moved it by 9e-5 to 5e-4 for a guidance scale off by 0.001, 3e-3 to 6e-2 for a network
 * timestep off by 1, 3e-3 for eta off by 0.001, and 2e-6 to 4e-5 for timesteps scaled by
 * (1 + 1e-6); a wrong noise stream changes everything. Clipping (clip_denoised): the clamp is
 * 1-Lipschitz, so it cannot amplify a difference by itself, and in these runs Java and the
 * reference clip exactly the same elements (31% to 88% of the final values are exactly +-1 in
 * both, none on one side only). The clipped cases still show the largest relative errors (up to
 * 2.3e-6, max 4e-5 absolute in the unclipped values of the DDIM eta-0 runs) because their norm is
 * small (rms about 1 against 50 to 200 unclipped) while the unclipped values carry the full float32
 * error of the trajectory, amplified by CFG/autoguidance scales where used.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SamplerParityTest {
  static final double FACTOR = 10;
  static final int BATCH = 2;

  private final Map<String, DiffusionModel> models = new HashMap<>();

  DiffusionModel model(String name) {
    return models.computeIfAbsent(
        name,
        n -> {
          try {
            return AdmModel.load(SamplerCases.model(n), Device.cpu(), DType.F32);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  @AfterAll
  void close() {
    models.values().forEach(DiffusionModel::close);
  }

  static List<SamplerCases.Case> cases() throws IOException {
    return SamplerCases.load();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesReference(SamplerCases.Case c) throws IOException {
    DiffusionModel main = model(c.model());
    NpyArray want = Npy.read(SamplerCases.fixtures().resolve("sampling").resolve(c.expected()));
    SamplingRun run =
        SamplingRun.of(main)
            .sampler(SamplerCases.sampler(c.sampler()))
            .guidance(SamplerCases.guidance(c.guidance(), main, this::model))
            .batch(BATCH);
    try (Tensor got = run.sample(c.labels().length, c.labels(), c.seed())) {
      assertArrayEquals(want.shape(), got.shape(), "sample shape");
      double err = relL2(got.toFloatArray(), want.toDoubleArray());
      System.out.printf(
          "%-34s rel L2 %.2e (reference fp32 vs fp64 %.2e)%n", c.name(), err, c.fp32VsFp64());
      assertTrue(err < tolerance(c), c.name() + ": relative L2 " + err + " >= " + tolerance(c));
    }
  }

  static double tolerance(SamplerCases.Case c) {
    return FACTOR * c.fp32VsFp64();
  }

  static double relL2(float[] got, double[] want) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < want.length; i++) {
      double d = got[i] - want[i];
      num += d * d;
      den += want[i] * want[i];
    }
    return Math.sqrt(num / den);
  }
}
