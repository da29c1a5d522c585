package org.guidance4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {
  private static final String ADM =
      """
      {
        "kind": "adm_unet",
        "image_size": 64,
        "num_channels": 192,
        "attention_resolutions": "32,16,8",
        "channel_mult": "",
        "learn_sigma": true,
        "dropout": 0.1,
        "resblock_updown": true,
        "num_classes": null,
        "ema_rate": "0.9999",
        "future_flag": {"nested": [1, 2]}
      }
      """;

  @TempDir Path dir;

  @Test
  void readsGuidedDiffusionStyleFlags() throws IOException {
    Path p = dir.resolve("config.json");
    Files.writeString(p, ADM);
    ModelConfig c = ModelConfig.read(p);
    assertEquals("adm_unet", c.kind());
    assertEquals(p.toString(), c.source());
    assertEquals(64, c.getInt("image_size", 0));
    assertEquals(192, c.requireInt("num_channels"));
    assertEquals(List.of(32, 16, 8), c.getIntList("attention_resolutions", List.of()));
    assertEquals(List.of(), c.getIntList("channel_mult", List.of(1, 2)));
    assertTrue(c.getBoolean("learn_sigma", false));
    assertEquals(0.1, c.getDouble("dropout", 0));
    assertEquals(64.0, c.getDouble("image_size", 0));
    assertEquals("0.9999", c.getString("ema_rate", "x"));
    // Absent and null both take the default.
    assertEquals(2, c.getInt("num_res_blocks", 2));
    assertEquals(1000, c.getInt("num_classes", 1000));
    assertFalse(c.has("num_classes"));
    assertFalse(c.getBoolean("use_fp16", false));
    assertEquals(List.of(4), c.getIntList("absent", List.of(4)));
    // Unknown keys are kept, kind is not among the keys.
    assertTrue(c.keys().contains("future_flag"));
    assertFalse(c.keys().contains("kind"));
    assertEquals(Set.of("nested"), ((java.util.Map<?, ?>) c.asMap().get("future_flag")).keySet());
  }

  @Test
  void intListsComeInEveryFormTheReferenceCodeUses() {
    ModelConfig c =
        ModelConfig.parse(
            "{\"kind\":\"k\",\"a\":[1,2,4],\"b\":\" 1, 2 ,4 \",\"c\":16,\"d\":\"16\",\"e\":[]}",
            "c.json");
    assertEquals(List.of(1, 2, 4), c.getIntList("a", null));
    assertEquals(List.of(1, 2, 4), c.getIntList("b", null));
    assertEquals(List.of(16), c.getIntList("c", null));
    assertEquals(List.of(16), c.getIntList("d", null));
    assertEquals(List.of(), c.getIntList("e", null));
  }

  @Test
  void typeErrorsNameTheFileAndKey() {
    ModelConfig c =
        ModelConfig.parse(
            "{\"kind\":\"k\",\"s\":\"64\",\"b\":\"True\",\"big\":3000000000,\"f\":2.0,"
                + "\"l\":\"32,x\",\"m\":[1,\"2\"],\"n\":{}}",
            "m/config.json");
    assertError(
        "m/config.json: key 's': expected an integer, got string \"64\"", () -> c.getInt("s", 0));
    assertError(
        "m/config.json: key 'b': expected true or false, got string \"True\"",
        () -> c.getBoolean("b", false));
    assertError(
        "m/config.json: key 'big': value 3000000000 does not fit in an int",
        () -> c.getInt("big", 0));
    assertError(
        "m/config.json: key 'f': expected an integer, got number 2.0", () -> c.getInt("f", 0));
    assertError(
        "m/config.json: key 'f': expected an integer, got number 2.0", () -> c.getLong("f", 0));
    assertError(
        "m/config.json: key 'l': expected comma-separated integers such as \"32,16,8\", got string"
            + " \"32,x\"",
        () -> c.getIntList("l", null));
    assertError(
        "m/config.json: key 'm': expected an integer at index 1, got string \"2\"",
        () -> c.getIntList("m", null));
    assertError(
        "m/config.json: key 'n': expected a list of integers or a string such as \"32,16,8\", got"
            + " object {}",
        () -> c.getIntList("n", null));
    assertError(
        "m/config.json: key 'big': expected a string, got integer 3000000000",
        () -> c.getString("big", ""));
    assertError(
        "m/config.json: key 's': expected a number, got string \"64\"", () -> c.getDouble("s", 0));
    assertError(
        "m/config.json: key 'absent': missing, and it has no default",
        () -> c.requireInt("absent"));
    assertError(
        "m/config.json: key 'absent': missing, and it has no default",
        () -> c.requireString("absent"));
    assertEquals(3000000000L, c.getLong("big", 0));
  }

  @Test
  void structuralErrors() throws IOException {
    assertError(
        "c.json: key 'kind': missing; it names the network type",
        () -> ModelConfig.parse("{\"a\":1}", "c.json"));
    assertError(
        "c.json: key 'kind': expected a string, got integer 3",
        () -> ModelConfig.parse("{\"kind\":3}", "c.json"));
    assertError(
        "c.json: the top level is not a JSON object", () -> ModelConfig.parse("[1]", "c.json"));
    assertError(
        "c.json: invalid JSON at line 2, column 14 (offset 26): unexpected character '}', expected"
            + " a value",
        () -> ModelConfig.parse("{\"kind\":\"k\",\n\"image_size\":}", "c.json"));
    Path p = dir.resolve("config.json");
    Files.write(p, new byte[] {'{', '"', (byte) 0xFF, '"', '}'});
    assertError(p + ": file is not valid UTF-8", () -> ModelConfig.read(p));
  }

  private static void assertError(String message, org.junit.jupiter.api.function.Executable call) {
    ModelConfigException e = assertThrows(ModelConfigException.class, call);
    assertEquals(message, e.getMessage());
  }
}
