package org.guidance4j.diffusion.schedule;

import java.util.Arrays;
import java.util.TreeSet;

/**
 * Which of T diffusion steps a shorter sampler keeps: guided-diffusion's {@code space_timesteps}
 * and its {@code --timestep_respacing} strings.
 *
 * <ul>
 *   <li>{@code "250"}, {@code "10,10,5"}: T is cut into as many equal sections as there are
 *       counts (the first {@code T % sections} one step longer), and each section is strided
 *       evenly by a fractional stride, rounded half to even (Python's {@code round}), with the
 *       position accumulated by repeated addition exactly as the original does so the same
 *       indices come out.
 *   <li>{@code "ddimN"}: the DDIM paper's striding, {@code range(0, T, stride)} for the smallest
 *       integer stride in [1, T) that gives exactly N steps; it fails when none does (e.g.
 *       "ddim7" on T = 10, "ddim600" or "ddim1" on T = 1000).
 * </ul>
 *
 * Deviations, all on inputs the original mishandles: its "ddimN" error names T where it means N
 * (ours names both), and it silently keeps nothing for a negative count (ours rejects it).
 */
public final class TimestepSpacing {
  private static final String DDIM = "ddim";

  private TimestepSpacing() {}

  /** The kept original timesteps, sorted ascending, for a {@code --timestep_respacing} string. */
  public static int[] spaceTimesteps(int numTimesteps, String sectionCounts) {
    checkTimesteps(numTimesteps);
    String spec = sectionCounts.strip();
    if (spec.startsWith(DDIM)) {
      return ddimStride(numTimesteps, parseCount(spec, spec.substring(DDIM.length())), spec);
    }
    String[] parts = spec.split(",", -1);
    int[] counts = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      counts[i] = parseCount(spec, parts[i]);
    }
    return sections(numTimesteps, counts, spec);
  }

  /** The kept original timesteps, sorted ascending, for explicit per-section counts. */
  public static int[] spaceTimesteps(int numTimesteps, int[] sectionCounts) {
    checkTimesteps(numTimesteps);
    return sections(numTimesteps, sectionCounts.clone(), Arrays.toString(sectionCounts));
  }

  private static int[] ddimStride(int numTimesteps, int desired, String spec) {
    for (int stride = 1; stride < numTimesteps; stride++) {
      int count = (numTimesteps + stride - 1) / stride; // len(range(0, T, stride))
      if (count == desired) {
        int[] kept = new int[count];
        for (int i = 0; i < count; i++) {
          kept[i] = i * stride;
        }
        return kept;
      }
    }
    throw new IllegalArgumentException(
        "cannot create exactly "
            + desired
            + " steps with an integer stride from "
            + numTimesteps
            + " diffusion steps (timestep respacing \""
            + spec
            + "\")");
  }

  private static int[] sections(int numTimesteps, int[] counts, String spec) {
    if (counts.length == 0) {
      throw new IllegalArgumentException("timestep respacing has no section counts");
    }
    int sizePer = numTimesteps / counts.length;
    int extra = numTimesteps % counts.length;
    int start = 0;
    TreeSet<Integer> kept = new TreeSet<>();
    for (int i = 0; i < counts.length; i++) {
      int size = sizePer + (i < extra ? 1 : 0);
      int count = counts[i];
      if (count < 0) {
        throw new IllegalArgumentException(
            "section count must be >= 0, got " + count + " in timestep respacing \"" + spec + "\"");
      }
      if (size < count) {
        throw new IllegalArgumentException(
            "cannot divide section of "
                + size
                + " steps into "
                + count
                + " (section "
                + i
                + " of timestep respacing \""
                + spec
                + "\" over "
                + numTimesteps
                + " diffusion steps)");
      }
      double stride = count <= 1 ? 1.0 : (double) (size - 1) / (count - 1);
      double position = 0.0;
      for (int k = 0; k < count; k++) {
        kept.add(start + (int) Math.rint(position));
        position += stride;
      }
      start += size;
    }
    if (kept.isEmpty()) {
      throw new IllegalArgumentException("timestep respacing \"" + spec + "\" keeps no steps");
    }
    return kept.stream().mapToInt(Integer::intValue).toArray();
  }

  private static int parseCount(String spec, String text) {
    try {
      return Integer.parseInt(text.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "invalid timestep respacing \""
              + spec
              + "\": \""
              + text
              + "\" is not an integer (expected e.g. \"250\", \"10,10,5\" or \"ddim25\")",
          e);
    }
  }

  private static void checkTimesteps(int numTimesteps) {
    if (numTimesteps < 1) {
      throw new IllegalArgumentException("diffusion steps must be >= 1, got " + numTimesteps);
    }
  }
}
