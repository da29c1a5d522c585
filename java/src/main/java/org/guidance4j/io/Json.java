package org.guidance4j.io;

import java.util.List;
import java.util.Map;

/**
 * Strict JSON (RFC 8259) without dependencies: safetensors headers and model config.json files are
 * all the library reads, so a small parser whose every error names the file and position is worth
 * more than a general one.
 *
 * <p>Values map to Java as: object to an unmodifiable {@code Map<String, Object>} in document
 * order, array to an unmodifiable {@code List<Object>}, string to {@link String}, number to {@link
 * Long} when it is written as an integer and fits, otherwise {@link Double}; true/false to {@link
 * Boolean}; null to {@code null}. Duplicate keys, unpaired surrogate escapes, numbers that overflow
 * a double, nesting deeper than {@link #MAX_DEPTH} and text longer than {@link #MAX_CHARS} are
 * rejected.
 */
public final class Json {
  /** Deepest nesting of arrays and objects accepted; real headers and configs use 2 or 3. */
  public static final int MAX_DEPTH = 256;

  /** Longest text accepted, in chars: the safetensors header limit. */
  public static final int MAX_CHARS = 100_000_000;

  private Json() {}

  /** Parses {@code text}; errors name the source "<json>". */
  public static Object parse(String text) {
    return parse(text, "<json>");
  }

  /** Parses {@code text}; errors name {@code source} (a file name) and the offending position. */
  public static Object parse(String text, String source) {
    return new JsonParser(text, source).parseDocument();
  }

  /**
   * Compact JSON for a tree of the types {@link #parse} returns (any integral {@link Number} and
   * finite floating-point one is accepted too). Map keys must be strings.
   */
  public static String write(Object value) {
    StringBuilder out = new StringBuilder();
    writeValue(out, value);
    return out.toString();
  }

  private static void writeValue(StringBuilder out, Object value) {
    switch (value) {
      case null -> out.append("null");
      case String s -> writeString(out, s);
      case Boolean b -> out.append(b);
      case Long _, Integer _, Short _, Byte _ -> out.append(((Number) value).longValue());
      case Double _, Float _ -> {
        double d = ((Number) value).doubleValue();
        if (!Double.isFinite(d)) {
          throw new IllegalArgumentException("JSON has no representation for " + d);
        }
        out.append(d);
      }
      case Map<?, ?> map -> {
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
          if (!(e.getKey() instanceof String key)) {
            throw new IllegalArgumentException("JSON object keys must be strings: " + e.getKey());
          }
          if (!first) {
            out.append(',');
          }
          first = false;
          writeString(out, key);
          out.append(':');
          writeValue(out, e.getValue());
        }
        out.append('}');
      }
      case List<?> list -> {
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          writeValue(out, list.get(i));
        }
        out.append(']');
      }
      default ->
          throw new IllegalArgumentException("no JSON form for " + value.getClass().getName());
    }
  }

  private static void writeString(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (Character.isHighSurrogate(c)
              && i + 1 < s.length()
              && Character.isLowSurrogate(s.charAt(i + 1))) {
            out.append(c).append(s.charAt(++i));
          } else if (Character.isSurrogate(c)) {
            // No UTF-8 encoding exists for it, and parse() rejects its escape.
            throw new IllegalArgumentException("string has an unpaired surrogate at index " + i);
          } else if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
