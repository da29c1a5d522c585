package org.guidance4j.io;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Recursive descent over RFC 8259's grammar; one instance parses one document. */
final class JsonParser {
  private final String text;
  private final String source;
  private int pos;
  private int depth;

  JsonParser(String text, String source) {
    this.text = text;
    this.source = source;
  }

  Object parseDocument() {
    if (text.length() > Json.MAX_CHARS) {
      throw error(0, "text is " + text.length() + " chars, more than the limit " + Json.MAX_CHARS);
    }
    skipWhitespace();
    Object value = parseValue();
    skipWhitespace();
    if (pos < text.length()) {
      throw error(pos, "unexpected " + describe(pos) + " after the value");
    }
    return value;
  }

  private Object parseValue() {
    if (pos >= text.length()) {
      throw error(pos, "unexpected end of text, expected a value");
    }
    char c = text.charAt(pos);
    return switch (c) {
      case '{' -> parseObject();
      case '[' -> parseArray();
      case '"' -> parseString();
      case 't' -> literal("true", Boolean.TRUE);
      case 'f' -> literal("false", Boolean.FALSE);
      case 'n' -> literal("null", null);
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) {
          yield parseNumber();
        }
        throw error(pos, "unexpected " + describe(pos) + ", expected a value");
      }
    };
  }

  private Map<String, Object> parseObject() {
    enter();
    pos++; // '{'
    Map<String, Object> map = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      depth--;
      return Collections.unmodifiableMap(map);
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw error(pos, "unexpected " + describe(pos) + ", expected a string key");
      }
      int keyPos = pos;
      String key = parseString();
      if (map.containsKey(key)) {
        throw error(keyPos, "duplicate key \"" + key + "\"");
      }
      skipWhitespace();
      expect(':');
      skipWhitespace();
      map.put(key, parseValue());
      skipWhitespace();
      char c = peek();
      pos++;
      if (c == '}') {
        depth--;
        return Collections.unmodifiableMap(map);
      }
      if (c != ',') {
        throw error(pos - 1, "unexpected " + describe(pos - 1) + ", expected ',' or '}'");
      }
    }
  }

  private List<Object> parseArray() {
    enter();
    pos++; // '['
    List<Object> list = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      depth--;
      return Collections.unmodifiableList(list);
    }
    while (true) {
      skipWhitespace();
      list.add(parseValue());
      skipWhitespace();
      char c = peek();
      pos++;
      if (c == ']') {
        depth--;
        return Collections.unmodifiableList(list);
      }
      if (c != ',') {
        throw error(pos - 1, "unexpected " + describe(pos - 1) + ", expected ',' or ']'");
      }
    }
  }

  private String parseString() {
    int start = pos;
    pos++; // opening quote
    StringBuilder out = null; // only allocated once an escape is met
    int runStart = pos;
    while (true) {
      if (pos >= text.length()) {
        throw error(start, "unterminated string");
      }
      char c = text.charAt(pos);
      if (c == '"') {
        String s =
            out == null
                ? text.substring(runStart, pos)
                : out.append(text, runStart, pos).toString();
        pos++;
        return s;
      }
      if (c < 0x20) {
        throw error(pos, "control character " + describe(pos) + " in a string must be escaped");
      }
      if (c != '\\') {
        pos++;
        continue;
      }
      if (out == null) {
        out = new StringBuilder();
      }
      out.append(text, runStart, pos);
      pos++;
      if (pos >= text.length()) {
        throw error(start, "unterminated string");
      }
      char e = text.charAt(pos);
      switch (e) {
        case '"', '\\', '/' -> out.append(e);
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'u' -> {
          int escapePos = pos - 1;
          char u = hex4(pos + 1);
          pos += 4;
          if (Character.isHighSurrogate(u)) {
            if (pos + 2 < text.length()
                && text.charAt(pos + 1) == '\\'
                && text.charAt(pos + 2) == 'u') {
              char low = hex4(pos + 3);
              if (!Character.isLowSurrogate(low)) {
                throw error(escapePos, "high surrogate escape not followed by a low surrogate");
              }
              out.append(u).append(low);
              pos += 6;
            } else {
              throw error(escapePos, "high surrogate escape not followed by a low surrogate");
            }
          } else if (Character.isLowSurrogate(u)) {
            throw error(escapePos, "low surrogate escape without a high surrogate before it");
          } else {
            out.append(u);
          }
        }
        default -> throw error(pos - 1, "invalid escape \\" + printable(e));
      }
      pos++;
      runStart = pos;
    }
  }

  private char hex4(int at) {
    if (at + 4 > text.length()) {
      throw error(at - 2, "truncated \\u escape");
    }
    int v = 0;
    for (int i = at; i < at + 4; i++) {
      int d = Character.digit(text.charAt(i), 16);
      // Character.digit also accepts non-ASCII digits; JSON allows only [0-9a-fA-F].
      if (d < 0 || text.charAt(i) > 'f') {
        throw error(i, "invalid hex digit " + describe(i) + " in \\u escape");
      }
      v = v * 16 + d;
    }
    return (char) v;
  }

  private Object parseNumber() {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
    } else if (isDigit(peek())) {
      skipDigits();
    } else {
      throw error(pos, "unexpected " + describe(pos) + ", expected a digit");
    }
    boolean integral = true;
    if (peek() == '.') {
      integral = false;
      pos++;
      if (!isDigit(peek())) {
        throw error(pos, "unexpected " + describe(pos) + ", expected a digit after '.'");
      }
      skipDigits();
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw error(pos, "unexpected " + describe(pos) + ", expected a digit in the exponent");
      }
      skipDigits();
    }
    String literal = text.substring(start, pos);
    if (integral) {
      try {
        return Long.parseLong(literal);
      } catch (NumberFormatException tooBig) {
        // falls through: an integer beyond long range keeps its magnitude as a double
      }
    }
    double d = Double.parseDouble(literal);
    if (Double.isInfinite(d)) {
      throw error(start, "number " + abbreviate(literal) + " is out of double range");
    }
    return d;
  }

  private Object literal(String word, Object value) {
    if (!text.startsWith(word, pos)) {
      throw error(pos, "unexpected " + describe(pos) + ", expected a value");
    }
    pos += word.length();
    return value;
  }

  private void enter() {
    if (++depth > Json.MAX_DEPTH) {
      throw error(pos, "nesting deeper than " + Json.MAX_DEPTH);
    }
  }

  private void expect(char c) {
    if (peek() != c) {
      throw error(pos, "unexpected " + describe(pos) + ", expected '" + c + "'");
    }
    pos++;
  }

  /** The char at pos, or 0 at the end (0 never continues a valid token here). */
  private char peek() {
    return pos < text.length() ? text.charAt(pos) : 0;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private void skipDigits() {
    while (isDigit(peek())) {
      pos++;
    }
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  private String describe(int at) {
    if (at >= text.length()) {
      return "end of text";
    }
    return "character " + printable(text.charAt(at));
  }

  private static String printable(char c) {
    if (c >= 0x20 && c < 0x7f) {
      return "'" + c + "'";
    }
    return String.format("U+%04X", (int) c);
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }

  private JsonFormatException error(int at, String message) {
    int line = 1;
    int lineStart = 0;
    int end = Math.min(at, text.length());
    for (int i = 0; i < end; i++) {
      if (text.charAt(i) == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return new JsonFormatException(source, at, line, at - lineStart + 1, message);
  }
}
