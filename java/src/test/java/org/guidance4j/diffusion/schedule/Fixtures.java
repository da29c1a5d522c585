package org.guidance4j.diffusion.schedule;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The golden values written by tools/make_schedule_fixtures.py (float64, numpy), read with a
 * minimal JSON reader so these tests need nothing beyond JUnit. Python's float repr round-trips,
 * so every number here is the reference's float64 bit for bit.
 */
final class Fixtures {
  /** Where the math is the same as the reference's, up to libm rounding. */
  static final double REL = 1e-12;

  private Fixtures() {}

  static Object load(String name) {
    String path = "/fixtures/schedules/" + name;
    try (InputStream in = Fixtures.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + path);
      }
      return new Reader(new String(in.readAllBytes(), StandardCharsets.UTF_8)).document();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + path, e);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object o) {
    return (List<Object>) o;
  }

  static double num(Map<String, Object> m, String key) {
    return ((Number) m.get(key)).doubleValue();
  }

  static int integer(Map<String, Object> m, String key) {
    return ((Number) m.get(key)).intValue();
  }

  static String str(Map<String, Object> m, String key) {
    return (String) m.get(key);
  }

  static double[] doubles(Object o) {
    List<Object> l = list(o);
    double[] out = new double[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) l.get(i)).doubleValue();
    }
    return out;
  }

  static int[] ints(Object o) {
    List<Object> l = list(o);
    int[] out = new int[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) l.get(i)).intValue();
    }
    return out;
  }

  /** Relative agreement, |actual − expected| <= rel·|expected| (0 must be exactly 0). */
  static void assertRel(double expected, double actual, double rel, String what) {
    assertScaled(expected, actual, Math.abs(expected), rel, what);
  }

  /** |actual − expected| <= tol·scale, for values whose natural size is not |expected| itself. */
  static void assertScaled(double expected, double actual, double scale, double tol, String what) {
    double err = Math.abs(actual - expected);
    if (!(err <= tol * scale) && !(expected == actual)) {
      fail(
          what
              + ": expected "
              + expected
              + ", got "
              + actual
              + " (error "
              + err
              + ", allowed "
              + tol * scale
              + ")");
    }
  }

  static void assertAllRel(double[] expected, double[] actual, double rel, String what) {
    assertTrue(
        expected.length == actual.length,
        what + ": length " + actual.length + ", expected " + expected.length);
    for (int i = 0; i < expected.length; i++) {
      assertRel(expected[i], actual[i], rel, what + "[" + i + "]");
    }
  }

  /** The base diffusion of a fixture case: named betas, respaced ("" keeps every step). */
  static DiscreteDiffusion diffusion(Map<String, Object> c) {
    double[] betas = BetaSchedule.named(str(c, "schedule")).betas(integer(c, "T"));
    return Respacing.of(betas, str(c, "spec")).diffusion();
  }

  /** Strict enough for files we write ourselves: RFC 8259 values, no extensions. */
  private static final class Reader {
    private final String s;
    private int i;

    Reader(String s) {
      this.s = s;
    }

    Object document() {
      Object v = value();
      skipSpace();
      if (i != s.length()) {
        throw error("trailing characters");
      }
      return v;
    }

    private Object value() {
      skipSpace();
      if (i >= s.length()) {
        throw error("unexpected end");
      }
      char c = s.charAt(i);
      return switch (c) {
        case '{' -> object();
        case '[' -> array();
        case '"' -> string();
        case 't' -> literal("true", Boolean.TRUE);
        case 'f' -> literal("false", Boolean.FALSE);
        case 'n' -> literal("null", null);
        default -> number();
      };
    }

    private Map<String, Object> object() {
      Map<String, Object> m = new LinkedHashMap<>();
      i++;
      skipSpace();
      if (s.charAt(i) == '}') {
        i++;
        return m;
      }
      while (true) {
        skipSpace();
        String key = string();
        skipSpace();
        expect(':');
        m.put(key, value());
        skipSpace();
        if (s.charAt(i) == ',') {
          i++;
        } else {
          expect('}');
          return m;
        }
      }
    }

    private List<Object> array() {
      List<Object> l = new ArrayList<>();
      i++;
      skipSpace();
      if (s.charAt(i) == ']') {
        i++;
        return l;
      }
      while (true) {
        l.add(value());
        skipSpace();
        if (s.charAt(i) == ',') {
          i++;
        } else {
          expect(']');
          return l;
        }
      }
    }

    private String string() {
      expect('"');
      StringBuilder b = new StringBuilder();
      while (s.charAt(i) != '"') {
        char c = s.charAt(i++);
        if (c == '\\') {
          char e = s.charAt(i++);
          switch (e) {
            case '"', '\\', '/' -> b.append(e);
            case 'n' -> b.append('\n');
            case 't' -> b.append('\t');
            case 'u' -> {
              b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
              i += 4;
            }
            default -> throw error("unsupported escape \\" + e);
          }
        } else {
          b.append(c);
        }
      }
      i++;
      return b.toString();
    }

    private Number number() {
      int start = i;
      while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
      String text = s.substring(start, i);
      if (text.isEmpty()) {
        throw error("unexpected character '" + s.charAt(start) + "'");
      }
      if (text.indexOf('.') < 0 && text.indexOf('e') < 0 && text.indexOf('E') < 0) {
        return Long.parseLong(text);
      }
      return Double.parseDouble(text);
    }

    private Object literal(String word, Object v) {
      if (!s.startsWith(word, i)) {
        throw error("expected " + word);
      }
      i += word.length();
      return v;
    }

    private void expect(char c) {
      if (i >= s.length() || s.charAt(i) != c) {
        throw error("expected '" + c + "'");
      }
      i++;
    }

    private void skipSpace() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    private IllegalStateException error(String what) {
      return new IllegalStateException("fixture JSON: " + what + " at offset " + i);
    }
  }
}
