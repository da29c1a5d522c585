package org.guidance4j.sampling;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.guidance4j.core.DType;
import org.guidance4j.core.Device;
import org.guidance4j.core.Tensor;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.diffusion.Models;
import org.guidance4j.io.Npy;
import org.guidance4j.io.NpyArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link VariantParityTest}'s runs on CUDA (F32): DPM-Solver++, CFG rescale and APG through the
 * CUDA kernels of g4j_cfg_rescale and g4j_apg, PAG through the CUDA attention on row slices.
 * Skips without a GPU.
 *
 * <p>Tolerance: 10 x the CPU test's. The CUDA kernels sum in another order than the CPU backend
 * (per-op differences of about 1e-6 relative, see CudaSeedingTest), which these runs of a few to
 * 12 steps amplify at most a few times; a wrong kernel, noise stream or guidance moves the samples
 * by 1e-3 or more (the fixtures' "sensitivity").
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaVariantParityTest {
  private final Map<String, DiffusionModel> models = new HashMap<>();

  DiffusionModel model(String name) {
    return models.computeIfAbsent(
        name,
        n -> {
          try {
            return Models.load(SamplerCases.model(n), Device.cuda(0), DType.F32);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  @AfterAll
  void close() {
    models.values().forEach(DiffusionModel::close);
  }

  static List<VariantParityTest.Case> cases() throws IOException {
    return VariantParityTest.cases();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesReferenceOnCuda(VariantParityTest.Case c) throws IOException {
    Assumptions.assumeTrue(Device.cudaAvailable(), "no CUDA device: " + Device.cudaUnavailableReason());
    DiffusionModel model = VariantParityTest.reading(model(c.model()), c.prediction());
    NpyArray want = Npy.read(SamplerCases.fixtures().resolve("variants").resolve(c.expected()));
    SamplingRun run =
        SamplingRun.of(model)
            .sampler(VariantParityTest.sampler(c.sampler()))
            .guidance(VariantParityTest.guidance(c.guidance(), model))
            .batch(VariantParityTest.BATCH);
    try (Tensor got = run.sample(c.labels().length, c.labels(), c.seed())) {
      double err = SamplerParityTest.relL2(got.toFloatArray(), want.toDoubleArray());
      double tol = 10 * VariantParityTest.tolerance(c);
      System.out.printf("%-34s CUDA rel L2 %.2e (tolerance %.1e)%n", c.name(), err, tol);
      assertTrue(err < tol, c.name() + " on CUDA: relative L2 " + err + " >= " + tol);
    }
  }
}
