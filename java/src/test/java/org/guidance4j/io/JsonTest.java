package org.guidance4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {
  @Test
  void parsesEveryValueTypeInDocumentOrder() {
    Object v =
        Json.parse(
            " {\"z\": 1, \"a\": [true, false, null, -0.5, 1e3, \"s\"], \"m\": {}, \"l\": []}\r\n"
                + "\t");
    Map<?, ?> m = (Map<?, ?>) v;
    assertEquals(List.of("z", "a", "m", "l"), new ArrayList<>(m.keySet()));
    assertEquals(1L, m.get("z"));
    List<?> a = (List<?>) m.get("a");
    assertEquals(Boolean.TRUE, a.get(0));
    assertEquals(Boolean.FALSE, a.get(1));
    assertNull(a.get(2));
    assertEquals(-0.5, a.get(3));
    assertEquals(1000.0, a.get(4));
    assertEquals("s", a.get(5));
    assertEquals(Map.of(), m.get("m"));
    assertEquals(List.of(), m.get("l"));
  }

  @Test
  void integersAreLongsUnlessTheyOverflow() {
    assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
    assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
    assertEquals(9.223372036854775808e18, Json.parse("9223372036854775808"));
    assertEquals(0L, Json.parse("-0"));
    assertEquals(2.0, Json.parse("2.0"));
  }

  @Test
  void decodesEscapes() {
    assertEquals(
        "a\"\\/\b\f\n\r\t\u00e9\uD83D\uDE00",
        Json.parse("\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\uDE00\""));
    assertEquals("\u00e9\u4e2d", Json.parse("\"\u00e9\u4e2d\""));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "   ",
        "{\"a\":1,}",
        "[1,]",
        "[1 2]",
        "{'a':1}",
        "{\"a\" 1}",
        "{a:1}",
        "01",
        "1.",
        ".5",
        "+1",
        "-",
        "1e",
        "1e+",
        "NaN",
        "Infinity",
        "tru",
        "nul",
        "\"abc",
        "\"a\u0001b\"",
        "\"\\x41\"",
        "\"\\u12G4\"",
        "\"\\u12\"",
        "\"\\ud800\"",
        "\"\\ud800\\u0041\"",
        "\"\\udc00\"",
        "{} x",
        "[] []",
        "// comment\n1",
        "{\"a\":1,\"a\":2}",
        "1e999",
        "\u00a01",
        "\"\\u\u0661\u0662\u0663\u0664\""
      })
  void rejectsWhatRfc8259Rejects(String text) {
    assertThrows(JsonFormatException.class, () -> Json.parse(text, "t.json"));
  }

  @Test
  void errorsGiveFileLineAndColumn() {
    JsonFormatException e =
        assertThrows(
            JsonFormatException.class, () -> Json.parse("{\n  \"a\": tru\n}", "config.json"));
    assertEquals("config.json", e.file());
    assertEquals(2, e.line());
    assertEquals(8, e.column());
    assertEquals(9, e.offset());
    assertTrue(
        e.getMessage().startsWith("config.json: invalid JSON at line 2, column 8 (offset 9): "),
        e.getMessage());

    e = assertThrows(JsonFormatException.class, () -> Json.parse("{\"k\":1,\"k\":2}", "h"));
    assertTrue(e.getMessage().contains("duplicate key \"k\""), e.getMessage());
    assertEquals(7, e.offset());
  }

  @Test
  void limitsNestingDepth() {
    String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
    Json.parse(ok);
    String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
    JsonFormatException e = assertThrows(JsonFormatException.class, () -> Json.parse(deep));
    assertTrue(e.getMessage().contains("nesting deeper than " + Json.MAX_DEPTH), e.getMessage());
    // Far past the limit must still fail cleanly, not overflow the stack.
    assertThrows(JsonFormatException.class, () -> Json.parse("{\"a\":".repeat(100_000)));
  }

  @Test
  void resultsAreUnmodifiable() {
    Map<?, ?> m = (Map<?, ?>) Json.parse("{\"a\":[1]}");
    assertThrows(UnsupportedOperationException.class, () -> m.clear());
    assertThrows(UnsupportedOperationException.class, () -> ((List<?>) m.get("a")).clear());
  }

  @Test
  void writeThenParseRoundTrips() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("s", "q\"\\\n\u0001\u00e9\uD83D\uDE00");
    m.put("n", null);
    m.put("l", Arrays.asList(1L, -2.5, true, null, List.of(), Map.of()));
    m.put("big", 1.0e300);
    m.put("int", 7);
    assertEquals(
        "{\"s\":\"q\\\"\\\\\\n"
            + "\\u0001\u00e9\uD83D\uDE00\",\"n\":null,\"l\":[1,-2.5,true,null,[],{}],"
            + "\"big\":1.0E300,\"int\":7}",
        Json.write(m));
    Map<String, Object> expected = new LinkedHashMap<>(m);
    expected.put("int", 7L);
    assertEquals(expected, Json.parse(Json.write(m)));
  }

  @Test
  void writeRejectsWhatJsonCannotHold() {
    assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, 2)));
    assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
    assertThrows(IllegalArgumentException.class, () -> Json.write("\uD800"));
  }
}
