package org.guidance4j.toy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The tree is EDM2's: NumPy's draws reproduced bit for bit, and the components the Python
 * reference (tools/toy_reference.py, itself checked against EDM2's gt() to float32 precision)
 * builds, at 1e-12.
 */
class FractalTreeTest {
  static final Map<String, Object> FIX = ToyFixtures.load("mixture.json");

  @Test
  void legacyRandomMatchesNumpyRandn() {
    double[] expected = ToyFixtures.doubles(FIX.get("randn_seed2"));
    LegacyRandom r = new LegacyRandom(2);
    double[] actual = new double[expected.length];
    for (int i = 0; i < actual.length; i++) {
      actual[i] = r.nextGaussian();
    }
    assertArrayEquals(expected, actual, 0.0);
  }

  @Test
  void invariants() {
    for (String cls : new String[] {"A", "B", "AB"}) {
      ToyMixture m = ToyMixture.of(cls);
      int perClass = FractalTree.BRANCHES * FractalTree.PER_BRANCH;
      assertEquals(cls.length() * perClass, m.components(), cls);
      assertEquals(((Number) ToyFixtures.map(ToyFixtures.map(FIX.get("mixtures")).get(cls)).get("components")).intValue(), m.components());
      double sum = 0;
      for (int k = 0; k < m.components(); k++) {
        sum += m.weight(k);
        double[] c = m.covariance(k);
        assertTrue(c[0] > 0 && c[2] > 0 && c[0] * c[2] - c[1] * c[1] > 0, cls + " component " + k + " covariance not positive definite");
      }
      assertEquals(1.0, sum, 1e-12, cls + ": weights sum");
      assertEquals(1.0, Arrays.stream(m.branchMasses()).sum(), 1e-12, cls + ": branch masses sum");
      assertEquals(cls.length() * 64L, Arrays.stream(m.branchDepths()).filter(d -> d == 6).count(), cls + ": tips");
      assertEquals(cls.length() * 127, m.branches());
    }
  }

  @Test
  void componentsMatchTheReference() {
    Map<String, Object> mixtures = ToyFixtures.map(FIX.get("mixtures"));
    for (String cls : mixtures.keySet()) {
      ToyMixture m = ToyMixture.of(cls);
      for (Object o : ToyFixtures.list(ToyFixtures.map(mixtures.get(cls)).get("picked"))) {
        Map<String, Object> c = ToyFixtures.map(o);
        int k = ((Number) c.get("index")).intValue();
        String at = cls + " component " + k;
        assertEquals(ToyFixtures.num(c.get("weight")), m.weight(k), 1e-12 * m.weight(k), at + " weight");
        assertArrayEquals(ToyFixtures.doubles(c.get("mean")), m.mean(k), 1e-12, at + " mean");
        assertArrayEquals(ToyFixtures.doubles(c.get("cov")), m.covariance(k), 1e-14, at + " cov");
      }
    }
  }
}
