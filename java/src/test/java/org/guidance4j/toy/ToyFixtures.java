package org.guidance4j.toy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.guidance4j.io.Json;

/** The golden values of tools/make_toy_fixtures.py (float64 NumPy/PyTorch; Python's repr round-trips). */
final class ToyFixtures {
  private ToyFixtures() {}

  static Map<String, Object> load(String name) {
    String path = "/fixtures/toy/" + name;
    try (InputStream in = ToyFixtures.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + path + " (run tools/make_toy_fixtures.py)");
      }
      return map(Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), path));
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

  static double num(Object o) {
    return ((Number) o).doubleValue();
  }

  static double[] doubles(Object o) {
    List<Object> l = list(o);
    double[] out = new double[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = num(l.get(i));
    }
    return out;
  }

  /** |actual − expected| <= tol·max(1, |expected|). */
  static boolean close(double expected, double actual, double tol) {
    return Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
  }
}
