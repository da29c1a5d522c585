package org.guidance4j.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The header dictionary of a .npy file, a Python literal such as {@code {'descr': '<f4',
 * 'fortran_order': False, 'shape': (2, 3), }}. Only the literal forms NumPy writes are parsed
 * (strings without escapes, True/False, integers, tuples and lists), never evaluated.
 */
record NpyHeader(NpyDType dtype, long[] shape) {
  private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");
  private static final String SUPPORTED = "expected float32, float64 or int64";

  /** A Python tuple, kept apart from a list because NumPy requires the shape to be a tuple. */
  private record Tuple(List<Object> items) {}

  static NpyHeader parse(String text, String name) {
    Object root = new LiteralParser(text, name).parseDocument();
    if (!(root instanceof Map<?, ?> dict)) {
      throw new NpyFormatException(name, "header is not a Python dict");
    }
    for (Object key : dict.keySet()) {
      if (!KEYS.contains(key)) {
        throw new NpyFormatException(name, "header has unexpected key " + repr(key));
      }
    }
    for (String key : KEYS) {
      if (!dict.containsKey(key)) {
        throw new NpyFormatException(name, "header lacks '" + key + "'");
      }
    }
    NpyDType dtype = dtype(dict.get("descr"), name);
    if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
      throw new NpyFormatException(
          name, "'fortran_order' is " + repr(dict.get("fortran_order")) + ", not True or False");
    }
    if (fortran) {
      throw new NpyFormatException(
          name,
          "fortran_order True (column-major) is not supported; save a C-order array"
              + " (numpy.ascontiguousarray)");
    }
    return new NpyHeader(dtype, shape(dict.get("shape"), name));
  }

  private static NpyDType dtype(Object descr, String name) {
    if (!(descr instanceof String s)) {
      throw new NpyFormatException(
          name, "structured dtype " + repr(descr) + " not supported; " + SUPPORTED);
    }
    NpyDType dtype = NpyDType.fromDescr(s);
    if (dtype != null) {
      return dtype;
    }
    if (s.startsWith(">") && NpyDType.fromDescr("<" + s.substring(1)) != null) {
      throw new NpyFormatException(
          name,
          "big-endian dtype '" + s + "' not supported; " + SUPPORTED + " in little-endian order");
    }
    throw new NpyFormatException(name, "dtype '" + s + "' not supported; " + SUPPORTED);
  }

  private static long[] shape(Object value, String name) {
    if (!(value instanceof Tuple tuple)) {
      throw new NpyFormatException(name, "'shape' is " + repr(value) + ", not a tuple");
    }
    long[] shape = new long[tuple.items().size()];
    for (int i = 0; i < shape.length; i++) {
      if (!(tuple.items().get(i) instanceof Long d) || d < 0) {
        throw new NpyFormatException(
            name, "'shape' " + repr(value) + " has an entry that is not a non-negative integer");
      }
      shape[i] = d;
    }
    return shape;
  }

  /** Python's repr of a parsed value, for error messages. */
  private static String repr(Object value) {
    String s =
        switch (value) {
          case null -> "nothing";
          case String str -> "'" + str + "'";
          case Boolean b -> b ? "True" : "False";
          case Tuple t -> {
            List<String> parts = t.items().stream().map(NpyHeader::repr).toList();
            yield "(" + String.join(", ", parts) + (parts.size() == 1 ? ",)" : ")");
          }
          case List<?> l -> "[" + String.join(", ", l.stream().map(NpyHeader::repr).toList()) + "]";
          case Map<?, ?> m -> "{...}";
          default -> value.toString();
        };
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }

  /**
   * Recursive descent over the literal subset; nesting is limited so hostile headers stay cheap.
   */
  private static final class LiteralParser {
    private static final int MAX_DEPTH = 32;
    private final String text;
    private final String name;
    private int pos;
    private int depth;

    LiteralParser(String text, String name) {
      this.text = text;
      this.name = name;
    }

    Object parseDocument() {
      skipSpace();
      Object value = parseValue();
      skipSpace();
      if (pos < text.length()) {
        throw error("unexpected " + describe() + " after the header dict");
      }
      return value;
    }

    private Object parseValue() {
      char c = peek();
      if (c == '{') {
        return parseDict();
      }
      if (c == '(' || c == '[') {
        return parseSequence();
      }
      if (c == '\'' || c == '"') {
        return parseString();
      }
      if (c >= '0' && c <= '9') {
        return parseInt();
      }
      if (text.startsWith("True", pos)) {
        pos += 4;
        return Boolean.TRUE;
      }
      if (text.startsWith("False", pos)) {
        pos += 5;
        return Boolean.FALSE;
      }
      throw error("unexpected " + describe() + ", expected a value");
    }

    private Map<Object, Object> parseDict() {
      enter();
      pos++;
      Map<Object, Object> map = new LinkedHashMap<>();
      while (true) {
        skipSpace();
        if (peek() == '}') {
          pos++;
          depth--;
          return map;
        }
        Object key = parseValue();
        if (!(key instanceof String)) {
          throw error("dict key is not a string");
        }
        if (map.containsKey(key)) {
          throw error("duplicate key " + repr(key));
        }
        skipSpace();
        if (peek() != ':') {
          throw error("unexpected " + describe() + ", expected ':'");
        }
        pos++;
        skipSpace();
        map.put(key, parseValue());
        skipSpace();
        if (peek() == ',') {
          pos++;
        } else if (peek() != '}') {
          throw error("unexpected " + describe() + ", expected ',' or '}'");
        }
      }
    }

    private Object parseSequence() {
      enter();
      char close = text.charAt(pos) == '(' ? ')' : ']';
      pos++;
      List<Object> items = new ArrayList<>();
      boolean sawComma = false;
      while (true) {
        skipSpace();
        if (peek() == close) {
          pos++;
          depth--;
          // "(3)" is just 3 in Python; only "(3,)" is a tuple of one.
          if (close == ')' && items.size() == 1 && !sawComma) {
            return items.getFirst();
          }
          return close == ')' ? new Tuple(List.copyOf(items)) : List.copyOf(items);
        }
        items.add(parseValue());
        skipSpace();
        if (peek() == ',') {
          pos++;
          sawComma = true;
        } else if (peek() != close) {
          throw error("unexpected " + describe() + ", expected ',' or '" + close + "'");
        }
      }
    }

    private String parseString() {
      char quote = text.charAt(pos);
      int start = ++pos;
      while (pos < text.length() && text.charAt(pos) != quote) {
        char c = text.charAt(pos);
        if (c == '\\' || c == '\n') {
          throw error("unsupported character in a string literal");
        }
        pos++;
      }
      if (pos >= text.length()) {
        throw error("unterminated string");
      }
      return text.substring(start, pos++);
    }

    private Long parseInt() {
      int start = pos;
      while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
        pos++;
      }
      String digits = text.substring(start, pos);
      if (peek() == 'L') {
        pos++; // Python 2 long literal, as in files written by NumPy under Python 2
      }
      try {
        return Long.parseLong(digits);
      } catch (NumberFormatException e) {
        String shown = digits.length() > 30 ? digits.substring(0, 30) + "..." : digits;
        throw error(start, "integer " + shown + " is too large");
      }
    }

    private void enter() {
      if (++depth > MAX_DEPTH) {
        throw error("nesting deeper than " + MAX_DEPTH);
      }
    }

    private char peek() {
      return pos < text.length() ? text.charAt(pos) : 0;
    }

    private void skipSpace() {
      while (pos < text.length() && " \t\r\n".indexOf(text.charAt(pos)) >= 0) {
        pos++;
      }
    }

    private String describe() {
      if (pos >= text.length()) {
        return "end of header";
      }
      char c = text.charAt(pos);
      return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private NpyFormatException error(String message) {
      return error(pos, message);
    }

    private NpyFormatException error(int at, String message) {
      return new NpyFormatException(
          name, "header is not a valid dict literal at character " + at + ": " + message);
    }
  }
}
