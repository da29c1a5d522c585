package org.guidance4j.diffusion.schedule;

/**
 * A diffusion shortened to a subset of its original timesteps (guided-diffusion's
 * {@code SpacedDiffusion}): new betas chosen so that the kept steps have exactly the original
 * abar, and the map from a spaced index back to the original timestep, which is what the network
 * must receive because it was trained on the original indices.
 */
public final class Respacing {
  private final int originalSteps;
  private final int[] timestepMap;
  private final double[] betas;

  private Respacing(int originalSteps, int[] timestepMap, double[] betas) {
    this.originalSteps = originalSteps;
    this.timestepMap = timestepMap;
    this.betas = betas;
  }

  /**
   * Respacing by a {@code --timestep_respacing} string ("250", "ddim25", "10,10,5"). A blank
   * string keeps every step, as guided-diffusion's {@code create_gaussian_diffusion} does; the
   * betas still go through the respacing arithmetic there (1 − abar_t/abar_{t−1}, equal to the
   * original betas only to rounding), and so they do here.
   */
  public static Respacing of(double[] originalBetas, String timestepRespacing) {
    int steps = originalBetas.length;
    int[] kept =
        timestepRespacing.isBlank()
            ? TimestepSpacing.spaceTimesteps(steps, new int[] {steps})
            : TimestepSpacing.spaceTimesteps(steps, timestepRespacing);
    return of(originalBetas, kept);
  }

  /** Respacing that keeps the given original timesteps (any order; duplicates are ignored). */
  public static Respacing of(double[] originalBetas, int[] useTimesteps) {
    int steps = originalBetas.length;
    boolean[] use = new boolean[steps];
    int kept = 0;
    for (int t : useTimesteps) {
      if (t < 0 || t >= steps) {
        throw new IllegalArgumentException(
            "timestep " + t + " to keep is outside [0, " + steps + ") of the original diffusion");
      }
      if (!use[t]) {
        use[t] = true;
        kept++;
      }
    }
    if (kept == 0) {
      throw new IllegalArgumentException("respacing keeps no timesteps");
    }
    int[] map = new int[kept];
    double[] betas = new double[kept];
    double alphaCumprod = 1.0;
    double lastKept = 1.0;
    int j = 0;
    for (int t = 0; t < steps; t++) {
      alphaCumprod *= 1.0 - originalBetas[t];
      if (use[t]) {
        betas[j] = 1 - alphaCumprod / lastKept;
        map[j] = t;
        lastKept = alphaCumprod;
        j++;
      }
    }
    return new Respacing(steps, map, betas);
  }

  /** T of the original diffusion. */
  public int originalSteps() {
    return originalSteps;
  }

  /** Number of kept steps: the length of the respaced diffusion. */
  public int steps() {
    return betas.length;
  }

  /** The respaced betas, one per kept step. */
  public double[] betas() {
    return betas.clone();
  }

  /** The kept original timesteps, ascending: {@code timestepMap()[t]} for spaced index t. */
  public int[] timestepMap() {
    return timestepMap.clone();
  }

  /** The original timestep of spaced index t: the integer the network receives. */
  public int originalTimestep(int t) {
    return timestepMap[t];
  }

  /**
   * The timestep value the network receives for spaced index t: the original index, or with
   * guided-diffusion's {@code rescale_timesteps} that index times 1000 / T (as float32 there).
   */
  public double networkTimestep(int t, boolean rescaleTimesteps) {
    int original = timestepMap[t];
    return rescaleTimesteps ? original * (1000.0 / originalSteps) : original;
  }

  /** The respaced diffusion's per-step arrays. */
  public DiscreteDiffusion diffusion() {
    return new DiscreteDiffusion(betas);
  }
}
