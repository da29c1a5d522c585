package org.guidance4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.guidance4j.io.SafetensorsWriter.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {
  @TempDir Path dir;

  private Path model(String... checkpoints) throws IOException {
    Path m = Files.createDirectories(dir.resolve("model"));
    Files.writeString(m.resolve("config.json"), "{\"kind\": \"adm_unet\", \"image_size\": 8}");
    for (String c : checkpoints) {
      SafetensorsWriter.write(m.resolve(c), Map.of("w", Tensor.ofFloats(new long[] {1}, 0.5f)));
    }
    return m;
  }

  @Test
  void resolvesADirectory() throws IOException {
    Path m = model("ema_0.9999.safetensors");
    Files.writeString(m.resolve("README.md"), "notes");
    ModelFiles f = ModelFiles.resolve(m);
    assertEquals(m.resolve("config.json"), f.config());
    assertEquals(m.resolve("ema_0.9999.safetensors"), f.checkpoint());
    assertEquals("adm_unet", f.readConfig().kind());
    try (SafetensorsFile s = f.openCheckpoint()) {
      assertEquals(0.5f, s.get("w").getFloat(0));
    }
  }

  @Test
  void resolvesACheckpointWithItsConfigBeside() throws IOException {
    Path m = model("a.safetensors", "b.safetensors");
    ModelFiles f = ModelFiles.resolve(m.resolve("b.safetensors"));
    assertEquals(m.resolve("b.safetensors"), f.checkpoint());
    assertEquals(m.resolve("config.json").toAbsolutePath(), f.config());
  }

  @Test
  void explainsEveryWrongLayout() throws IOException {
    Path m = model();
    assertError(m + ": the model directory has no .safetensors checkpoint", m);
    SafetensorsWriter.write(
        m.resolve("b.safetensors"), Map.of("w", Tensor.ofFloats(new long[] {1}, 1f)));
    SafetensorsWriter.write(
        m.resolve("a.safetensors"), Map.of("w", Tensor.ofFloats(new long[] {1}, 1f)));
    assertError(
        m
            + ": the model directory has 2 checkpoints (a.safetensors, b.safetensors); name the one"
            + " to use",
        m);

    Path missing = dir.resolve("nope");
    assertError(missing + ": no such file or directory", missing);

    Path notCheckpoint = m.resolve("config.json");
    assertError(
        notCheckpoint + ": expected a model directory or a .safetensors checkpoint", notCheckpoint);

    Files.delete(m.resolve("config.json"));
    assertError(m + ": the model directory has no config.json", m);
    Path lone = m.resolve("a.safetensors");
    assertError(
        lone
            + ": no config.json beside the checkpoint (looked for "
            + m.toAbsolutePath().resolve("config.json")
            + ")",
        lone);
  }

  private static void assertError(String message, Path path) {
    ModelConfigException e =
        assertThrows(ModelConfigException.class, () -> ModelFiles.resolve(path));
    assertEquals(message, e.getMessage());
  }
}
