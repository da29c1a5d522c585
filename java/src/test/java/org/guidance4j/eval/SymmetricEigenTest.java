package org.guidance4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SymmetricEigenTest {
  static double[][] randomSymmetric(Random r, int d) {
    double[][] a = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = i; j < d; j++) {
        a[i][j] = r.nextGaussian();
        a[j][i] = a[i][j];
      }
    }
    return a;
  }

  /** B B^T + eps I: symmetric positive definite. */
  static double[][] randomSpd(Random r, int d) {
    double[][] b = new double[d][d + 3];
    for (double[] row : b) {
      for (int j = 0; j < row.length; j++) {
        row[j] = r.nextGaussian();
      }
    }
    double[][] s = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        for (int k = 0; k < d + 3; k++) {
          s[i][j] += b[i][k] * b[j][k];
        }
      }
      s[i][i] += 1e-3;
    }
    return s;
  }

  static double maxAbs(double[][] a) {
    double m = 0;
    for (double[] row : a) {
      for (double v : row) {
        m = Math.max(m, Math.abs(v));
      }
    }
    return m;
  }

  @Test
  void reconstructsRandomSymmetricMatrices() {
    Random r = new Random(7);
    for (int d : new int[] {1, 2, 5, 17, 64}) {
      double[][] a = randomSymmetric(r, d);
      SymmetricEigen e = SymmetricEigen.of(a);
      double[][] v = e.vectors();
      double scale = maxAbs(a);
      for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++) {
          double rec = 0;
          double gram = 0;
          for (int k = 0; k < d; k++) {
            rec += v[i][k] * e.values()[k] * v[j][k];
            gram += v[k][i] * v[k][j];
          }
          assertEquals(a[i][j], rec, 1e-12 * d * scale, "A = V L V^T at " + i + "," + j + " (d=" + d + ")");
          assertEquals(i == j ? 1 : 0, gram, 1e-12 * d, "V^T V = I at " + i + "," + j);
        }
      }
    }
  }

  @Test
  void eigenvaluesOfAKnownMatrix() {
    // [[2, 1], [1, 2]] has eigenvalues 1 and 3
    double[] l = SymmetricEigen.of(new double[][] {{2, 1}, {1, 2}}).values().clone();
    java.util.Arrays.sort(l);
    assertEquals(1, l[0], 1e-15);
    assertEquals(3, l[1], 1e-15);
  }

  @Test
  void squareRootSquaresBack() {
    Random r = new Random(11);
    for (int d : new int[] {3, 31}) {
      double[][] s = randomSpd(r, d);
      double[][] root = SymmetricEigen.of(s).sqrtPsd();
      double[][] sq = FrechetDistance.multiply(root, root);
      double scale = maxAbs(s);
      for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++) {
          assertEquals(s[i][j], sq[i][j], 1e-11 * scale);
          assertEquals(root[i][j], root[j][i], 0.0, "symmetric");
        }
      }
      for (double l : SymmetricEigen.of(root).values()) {
        assertTrue(l > 0, "the principal root is positive definite: " + l);
      }
    }
  }
}
