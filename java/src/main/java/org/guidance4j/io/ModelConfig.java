package org.guidance4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model's config.json: a {@code kind} string naming the network, and every other key under the
 * reference code's own flag name (guided-diffusion's {@code num_channels}, {@code
 * attention_resolutions}, ...). Unknown keys are kept; getters take the default when a key is
 * absent or JSON null, and name the file and key when the value has the wrong type.
 */
public final class ModelConfig {
  private final String source;
  private final String kind;
  private final Map<String, Object> values;

  private ModelConfig(String source, String kind, Map<String, Object> values) {
    this.source = source;
    this.kind = kind;
    this.values = values;
  }

  /** Reads and parses {@code path} (a config.json). */
  public static ModelConfig read(Path path) throws IOException {
    String source = path.toString();
    RegularFiles.require(path);
    long size = Files.size(path);
    if (size > Json.MAX_CHARS) {
      throw new ModelConfigException(
          source, null, "file is " + size + " bytes; a config is never this large");
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(Files.readAllBytes(path)))
              .toString();
    } catch (CharacterCodingException e) {
      throw new ModelConfigException(source, null, "file is not valid UTF-8");
    }
    return parse(text, source);
  }

  /** Parses config JSON text; errors name {@code source}. */
  public static ModelConfig parse(String json, String source) {
    Object root;
    try {
      root = Json.parse(json, source);
    } catch (JsonFormatException e) {
      throw new ModelConfigException(source, null, e.detail());
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new ModelConfigException(source, null, "the top level is not a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> all = (Map<String, Object>) map;
    return of(all, source);
  }

  /** A config from already-parsed values (keys in the given order); {@code kind} is required. */
  public static ModelConfig of(Map<String, Object> all, String source) {
    Object kind = all.get("kind");
    if (kind == null) {
      throw new ModelConfigException(source, "kind", "missing; it names the network type");
    }
    if (!(kind instanceof String k)) {
      throw new ModelConfigException(source, "kind", "expected a string, got " + describe(kind));
    }
    Map<String, Object> rest = new LinkedHashMap<>(all);
    rest.remove("kind");
    return new ModelConfig(source, k, Collections.unmodifiableMap(rest));
  }

  /** The file (or label) errors name. */
  public String source() {
    return source;
  }

  /** The network type. */
  public String kind() {
    return kind;
  }

  /** Every key except {@code kind}, in file order. */
  public Set<String> keys() {
    return values.keySet();
  }

  /** Every value except {@code kind}, as parsed (see {@link Json}). */
  public Map<String, Object> asMap() {
    return values;
  }

  /** True when the key is present with a non-null value. */
  public boolean has(String key) {
    return values.get(key) != null;
  }

  public int getInt(String key, int defaultValue) {
    Object v = values.get(key);
    return v == null ? defaultValue : toInt(key, v, "");
  }

  /** A required int: absence is an error naming the file and key. */
  public int requireInt(String key) {
    return toInt(key, require(key), "");
  }

  public long getLong(String key, long defaultValue) {
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    if (!(v instanceof Long l)) {
      throw typeError(key, "an integer", v);
    }
    return l;
  }

  public double getDouble(String key, double defaultValue) {
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    if (!(v instanceof Number n)) {
      throw typeError(key, "a number", v);
    }
    return n.doubleValue();
  }

  public boolean getBoolean(String key, boolean defaultValue) {
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    if (!(v instanceof Boolean b)) {
      throw typeError(key, "true or false", v);
    }
    return b;
  }

  public String getString(String key, String defaultValue) {
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    if (!(v instanceof String s)) {
      throw typeError(key, "a string", v);
    }
    return s;
  }

  /** A required string: absence is an error naming the file and key. */
  public String requireString(String key) {
    Object v = require(key);
    if (!(v instanceof String s)) {
      throw typeError(key, "a string", v);
    }
    return s;
  }

  /**
   * A list of ints, written as a JSON array ({@code [32, 16, 8]}), a single integer, or, as
   * guided-diffusion's command-line flags write them, a comma-separated string ({@code "32,16,8"};
   * {@code ""} is the empty list, which for {@code channel_mult} means "the default for the image
   * size").
   */
  public List<Integer> getIntList(String key, List<Integer> defaultValue) {
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    List<Integer> out = new ArrayList<>();
    switch (v) {
      case Long l -> out.add(toInt(key, l, ""));
      case List<?> list -> {
        for (int i = 0; i < list.size(); i++) {
          Object item = list.get(i);
          if (item == null) {
            throw typeError(key, "a list of integers", v);
          }
          out.add(toInt(key, item, " at index " + i));
        }
      }
      case String s -> {
        if (!s.isBlank()) {
          String[] parts = s.split(",", -1);
          for (String part : parts) {
            try {
              out.add(Integer.parseInt(part.strip()));
            } catch (NumberFormatException e) {
              throw new ModelConfigException(
                  source,
                  key,
                  "expected comma-separated integers such as \"32,16,8\", got " + describe(v));
            }
          }
        }
      }
      default -> throw typeError(key, "a list of integers or a string such as \"32,16,8\"", v);
    }
    return List.copyOf(out);
  }

  @Override
  public String toString() {
    return "ModelConfig[" + source + ", kind=" + kind + ", " + values.size() + " keys]";
  }

  private Object require(String key) {
    Object v = values.get(key);
    if (v == null) {
      throw new ModelConfigException(source, key, "missing, and it has no default");
    }
    return v;
  }

  private int toInt(String key, Object v, String where) {
    if (!(v instanceof Long l)) {
      throw typeError(key, "an integer" + where, v);
    }
    if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
      throw new ModelConfigException(source, key, "value " + l + where + " does not fit in an int");
    }
    return (int) (long) l;
  }

  private ModelConfigException typeError(String key, String expected, Object v) {
    return new ModelConfigException(source, key, "expected " + expected + ", got " + describe(v));
  }

  private static String describe(Object v) {
    String json = Json.write(v);
    String text = json.length() <= 60 ? json : json.substring(0, 57) + "...";
    String type =
        switch (v) {
          case String _ -> "string";
          case Boolean _ -> "boolean";
          case Long _ -> "integer";
          case Double _ -> "number";
          case List<?> _ -> "list";
          case Map<?, ?> _ -> "object";
          default -> v.getClass().getSimpleName();
        };
    return type + " " + text;
  }
}
