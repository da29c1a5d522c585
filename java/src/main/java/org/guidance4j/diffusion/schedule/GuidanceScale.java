package org.guidance4j.diffusion.schedule;

/**
 * The two conventions for a guidance strength. This library's {@code scale} is gamma, the
 * extrapolation factor of D = D_uncond + gamma·(D_cond − D_uncond) (EDM2's {@code guidance},
 * diffusers' {@code guidance_scale}, autoguidance's w; the {@code scale} of
 * {@code g4j_guided_combine}); gamma = 1 is the plain conditional model. Ho & Salimans write
 * eps~ = (1 + w)·eps_cond − w·eps_uncond, so their w = gamma − 1 (w = 0 is unguided).
 */
public final class GuidanceScale {
  private GuidanceScale() {}

  /** gamma = 1 + w for Ho & Salimans' w. */
  public static double cfgGammaFromW(double w) {
    return 1 + w;
  }

  /** w = gamma − 1: Ho & Salimans' w for a gamma. */
  public static double cfgWFromGamma(double gamma) {
    return gamma - 1;
  }
}
