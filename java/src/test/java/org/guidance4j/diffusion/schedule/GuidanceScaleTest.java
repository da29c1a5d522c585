package org.guidance4j.diffusion.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class GuidanceScaleTest {

  @Test
  void gammaIsOnePlusW() {
    assertEquals(1.0, GuidanceScale.cfgGammaFromW(0.0));
    assertEquals(4.0, GuidanceScale.cfgGammaFromW(3.0));
    assertEquals(0.3, GuidanceScale.cfgWFromGamma(1.3), 1e-15);
    for (double w : new double[] {0.1, 0.3, 1, 4}) {
      assertEquals(w, GuidanceScale.cfgWFromGamma(GuidanceScale.cfgGammaFromW(w)), 1e-15);
    }
  }

  @Test
  void bothFormsGiveTheSameGuidedOutput() {
    double cond = 0.8, uncond = -0.25, w = 2.5;
    double hoSalimans = (1 + w) * cond - w * uncond;
    double gammaForm = uncond + GuidanceScale.cfgGammaFromW(w) * (cond - uncond);
    assertEquals(hoSalimans, gammaForm, 1e-15);
  }
}
