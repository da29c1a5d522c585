package org.guidance4j.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The exact density, score and denoiser: against the float64 reference, and against each other. */
class ToyMixtureTest {
  @Test
  void matchesTheReference() {
    Map<String, Object> mixtures = ToyFixtures.map(ToyFixtures.load("mixture.json").get("mixtures"));
    int checked = 0;
    for (String cls : mixtures.keySet()) {
      ToyMixture m = ToyMixture.of(cls);
      for (Object o : ToyFixtures.list(ToyFixtures.map(mixtures.get(cls)).get("evals"))) {
        Map<String, Object> e = ToyFixtures.map(o);
        double[] x = ToyFixtures.doubles(e.get("x"));
        double sigma = ToyFixtures.num(e.get("sigma"));
        String at = cls + " x=(" + x[0] + ", " + x[1] + ") sigma=" + sigma;
        double lp = ToyFixtures.num(e.get("logp"));
        assertTrue(ToyFixtures.close(lp, m.logDensity(x[0], x[1], sigma), 1e-10), at + ": log p " + m.logDensity(x[0], x[1], sigma) + " vs " + lp);
        double[] s = ToyFixtures.doubles(e.get("score"));
        double[] g = m.score(x[0], x[1], sigma);
        double[] dn = ToyFixtures.doubles(e.get("denoise"));
        double[] d = m.denoise(x[0], x[1], sigma);
        for (int i = 0; i < 2; i++) {
          assertTrue(ToyFixtures.close(s[i], g[i], 1e-9), at + ": score[" + i + "] " + g[i] + " vs " + s[i]);
          assertTrue(ToyFixtures.close(dn[i], d[i], 1e-11), at + ": denoise[" + i + "] " + d[i] + " vs " + dn[i]);
        }
        checked++;
      }
    }
    assertEquals(150, checked);
  }

  @Test
  void scoreIsTheGradientOfTheLogDensity() {
    ToyMixture m = ToyMixture.classA();
    SplittableRandom r = new SplittableRandom(3);
    double[] pts = m.sample(20, 0.02, 4);
    for (double sigma : new double[] {0.0, 0.01, 0.1, 1.0}) {
      for (int i = 0; i < 20; i++) {
        double x = pts[2 * i] + (i >= 15 ? r.nextDouble(-1, 1) : 0);
        double y = pts[2 * i + 1];
        // step well inside the narrowest component (std ~ 0.002) at the smallest sigma
        double h = 1e-6;
        double gx = (m.logDensity(x + h, y, sigma) - m.logDensity(x - h, y, sigma)) / (2 * h);
        double gy = (m.logDensity(x, y + h, sigma) - m.logDensity(x, y - h, sigma)) / (2 * h);
        double[] g = m.score(x, y, sigma);
        double scale = Math.hypot(g[0], g[1]) + 1;
        assertEquals(gx, g[0], 1e-5 * scale, "d/dx at sigma " + sigma + ", point " + i);
        assertEquals(gy, g[1], 1e-5 * scale, "d/dy at sigma " + sigma + ", point " + i);
      }
    }
  }

  @Test
  void denoiserIsTweedie() {
    ToyMixture m = ToyMixture.both();
    double[] pts = m.sample(30, 0.3, 5);
    for (double sigma : new double[] {0.002, 0.05, 0.5, 5.0}) {
      for (int i = 0; i < 30; i++) {
        double x = pts[2 * i];
        double y = pts[2 * i + 1];
        double[] g = m.score(x, y, sigma);
        double[] d = m.denoise(x, y, sigma);
        assertEquals(x + sigma * sigma * g[0], d[0], 1e-14 * (1 + Math.abs(d[0])));
        assertEquals(y + sigma * sigma * g[1], d[1], 1e-14 * (1 + Math.abs(d[1])));
      }
    }
  }

  /** Sample moments against the mixture's exact mean and covariance (sum_k w_k (S_k + mu_k mu_k^T) − m m^T, plus sigma² I). */
  @Test
  void samplesHaveTheMixturesMoments() {
    ToyMixture m = ToyMixture.classA();
    for (double sigma : new double[] {0.0, 0.7}) {
      double mx = 0, my = 0, sxx = 0, sxy = 0, syy = 0;
      for (int k = 0; k < m.components(); k++) {
        double w = m.weight(k);
        double[] mu = m.mean(k);
        double[] c = m.covariance(k);
        mx += w * mu[0];
        my += w * mu[1];
        sxx += w * (c[0] + mu[0] * mu[0]);
        sxy += w * (c[1] + mu[0] * mu[1]);
        syy += w * (c[2] + mu[1] * mu[1]);
      }
      sxx += sigma * sigma - mx * mx;
      sxy -= mx * my;
      syy += sigma * sigma - my * my;
      int n = 200_000;
      double[] p = m.sample(n, sigma, 6);
      double ax = 0, ay = 0, axx = 0, axy = 0, ayy = 0;
      for (int i = 0; i < n; i++) {
        ax += p[2 * i];
        ay += p[2 * i + 1];
      }
      ax /= n;
      ay /= n;
      for (int i = 0; i < n; i++) {
        double dx = p[2 * i] - ax;
        double dy = p[2 * i + 1] - ay;
        axx += dx * dx;
        axy += dx * dy;
        ayy += dy * dy;
      }
      axx /= n;
      axy /= n;
      ayy /= n;
      // 5 standard errors of a mean; the covariance entries get a 3% margin
      assertEquals(mx, ax, 5 * Math.sqrt(sxx / n), "mean x, sigma " + sigma);
      assertEquals(my, ay, 5 * Math.sqrt(syy / n), "mean y, sigma " + sigma);
      assertEquals(sxx, axx, 0.03 * sxx, "var x, sigma " + sigma);
      assertEquals(syy, ayy, 0.03 * syy, "var y, sigma " + sigma);
      assertEquals(sxy, axy, 0.03 * Math.sqrt(sxx * syy), "cov xy, sigma " + sigma);
      System.out.printf("class A, sigma %.1f: mean (%.4f, %.4f) vs (%.4f, %.4f); var (%.4f, %.4f, %.4f) vs (%.4f, %.4f, %.4f)%n",
          sigma, ax, ay, mx, my, axx, axy, ayy, sxx, sxy, syy);
    }
  }
}
