package org.guidance4j.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The properties every fuzz input must satisfy, shared by the Jazzer targets and the seeded
 * mutation loop: a reader either returns a consistent result or throws its own typed exception.
 * Anything else escaping (NullPointerException, IndexOutOfBoundsException, ArithmeticException,
 * OutOfMemoryError, NegativeArraySizeException, ...) is a bug and fails the caller.
 */
final class FuzzChecks {
  /** Larger tensors are only touched at their ends, to keep each input cheap. */
  private static final long MAX_CONVERTED_ELEMENTS = 1 << 16;

  private FuzzChecks() {}

  /** @return whether the reader accepted the input (all its consistency checks passed) */
  static boolean safetensors(byte[] data) {
    SafetensorsFile file;
    try {
      file = SafetensorsFile.parse(MemorySegment.ofArray(data), "fuzz.safetensors");
    } catch (CheckpointFormatException expected) {
      check(expected.getMessage().startsWith("fuzz.safetensors: "), "message lacks the file name");
      return false;
    }
    for (SafetensorsEntry e : file.entries()) {
      long bytes = e.data().byteSize();
      check(bytes == e.elementCount() * e.dtype().byteSize(), "slice size differs from the shape");
      if (bytes > 0) {
        e.data().get(ValueLayout.JAVA_BYTE, 0);
        e.data().get(ValueLayout.JAVA_BYTE, bytes - 1);
      }
      if (e.dtype().isFloatData() && e.elementCount() <= MAX_CONVERTED_ELEMENTS) {
        check(e.toFloatArray().length == e.elementCount(), "toFloatArray length");
      } else if (!e.dtype().isFloatData()) {
        try {
          e.toFloatArray();
          throw new AssertionError("toFloatArray accepted " + e.dtype());
        } catch (CheckpointFormatException expected) {
          // the typed refusal is the point
        }
      }
    }
    for (String key : file.keys()) {
      check(file.get(key).key().equals(key), "get(key) returned another entry");
    }
    return true;
  }

  /** @return whether the reader accepted the input */
  static boolean npy(byte[] data) {
    NpyArray array;
    try {
      array = Npy.parse(MemorySegment.ofArray(data), "fuzz.npy");
    } catch (NpyFormatException expected) {
      check(expected.getMessage().startsWith("fuzz.npy: "), "message lacks the file name");
      return false;
    }
    long n = array.elementCount();
    check(
        array.data().byteSize() == n * array.dtype().byteSize(),
        "data size differs from the shape");
    if (n <= MAX_CONVERTED_ELEMENTS) {
      switch (array.dtype()) {
        case FLOAT32, FLOAT64 -> check(array.toFloatArray().length == n, "toFloatArray length");
        case INT64 -> check(array.toLongArray().length == n, "toLongArray length");
      }
    }
    return true;
  }

  /**
   * A config.json as loading reads it: JSON, a kind, the getters, then the architecture and
   * diffusion it describes. Refusals are typed (JsonFormatException, ModelConfigException).
   *
   * @return whether a model of this config would get past its config (a known kind, every value valid)
   */
  static boolean modelConfig(byte[] data) {
    String text = new String(data, StandardCharsets.UTF_8);
    ModelConfig config;
    try {
      config = ModelConfig.parse(text, "fuzz.json");
    } catch (ModelConfigException expected) {
      check(expected.getMessage().startsWith("fuzz.json: "), "message lacks the file name");
      return false;
    }
    try {
      switch (config.kind()) {
        case "adm_unet", "adm_classifier" -> org.guidance4j.diffusion.AdmModel.validateConfig(config);
        case "edm2" -> org.guidance4j.nn.edm2.Edm2Config.from(config);
        default -> {
          return false; // loading refuses an unknown kind
        }
      }
      return true;
    } catch (ModelConfigException expected) {
      check(expected.getMessage().startsWith("fuzz.json: "), "message lacks the file name");
      return false;
    }
  }

  /** JSON text: parse errors are typed; whatever parses survives write-then-parse unchanged. */
  static void json(byte[] data) {
    String text = new String(data, StandardCharsets.UTF_8);
    Object value;
    try {
      value = Json.parse(text, "fuzz.json");
    } catch (JsonFormatException expected) {
      check(
          expected.offset() >= 0 && expected.offset() <= text.length(),
          "error offset out of range");
      return;
    }
    Object again = Json.parse(Json.write(value), "rewritten");
    check(java.util.Objects.equals(value, again), "write-then-parse changed the value");
    if (value instanceof Map<?, ?> map && map.get("kind") instanceof String) {
      config(text);
    }
  }

  /**
   * Every getter either returns or throws ModelConfigException, and so does reading the
   * architecture and diffusion the config describes (what loading a model reads from it).
   */
  static void config(String text) {
    ModelConfig config = ModelConfig.parse(text, "fuzz.json");
    tryGet(() -> {
      switch (config.kind()) {
        case "adm_unet", "adm_classifier" -> org.guidance4j.diffusion.AdmModel.validateConfig(config);
        case "edm2" -> org.guidance4j.nn.edm2.Edm2Config.from(config);
        default -> {}
      }
    });
    for (String key : config.keys()) {
      tryGet(() -> config.getInt(key, 0));
      tryGet(() -> config.getLong(key, 0));
      tryGet(() -> config.getDouble(key, 0));
      tryGet(() -> config.getBoolean(key, false));
      tryGet(() -> config.getString(key, ""));
      tryGet(() -> config.getIntList(key, null));
    }
  }

  private static void tryGet(Runnable getter) {
    try {
      getter.run();
    } catch (ModelConfigException expected) {
      // a type error, reported as one
    }
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError(what);
    }
  }
}
