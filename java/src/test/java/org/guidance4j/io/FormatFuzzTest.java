package org.guidance4j.io;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer targets for the byte-level readers. A plain {@code mvn test} runs each target once per
 * seed in FormatFuzzTestInputs/ (regression mode); coverage-guided fuzzing is opt-in, see
 * src/test/resources/fuzz/README.md.
 */
class FormatFuzzTest {
  @FuzzTest(maxDuration = "5m")
  void safetensors(byte[] data) {
    FuzzChecks.safetensors(data);
  }

  @FuzzTest(maxDuration = "5m")
  void npy(byte[] data) {
    FuzzChecks.npy(data);
  }

  @FuzzTest(maxDuration = "5m")
  void json(byte[] data) {
    FuzzChecks.json(data);
  }
}
