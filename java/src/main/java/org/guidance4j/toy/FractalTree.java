package org.guidance4j.toy;

import java.util.ArrayList;
import java.util.List;

/**
 * The ground truth of the autoguidance paper's 2-D toy (Karras et al. 2024; EDM2's
 * toy_example.py, {@code gt()}): for each of two classes a branching tree of 2-D Gaussians.
 *
 * <p>A branch at depth d (0..6) starts at {@code pos} heading {@code angle}; its length is
 * L = 0.292·0.8^d·(1 + 0.2·n). It is eight components evenly along it (t = 0.07 .. 0.93 of the
 * way), each of unnormalised weight L·0.5^d, with covariance (u u^T + thick²(I − u u^T)) ∘ (s s^T)
 * for u the direction, thick = 0.2·0.8^d / L and s = 0.06·L·scale (∘: elementwise). At its end it
 * forks into two children turned by ±0.7^d·(1 + 0.2·n). The n are successive draws of NumPy's
 * RandomState(2).randn() in depth-first order: a branch's own length, then for each child (the +
 * one first) its angle followed by that child's whole subtree. Class A starts at {@link #ORIGIN}
 * at 45°, then class B at 225°; every position is finally scaled per axis by {@link #SCALE}.
 * So each class has 127 branches and 1016 components.
 */
public final class FractalTree {
  public static final double[] ORIGIN = {0.0030, 0.0325};
  public static final double[] SCALE = {1.3136, 1.3844};
  public static final long SEED = 2;
  public static final int DEPTH = 7;
  public static final int PER_BRANCH = 8;
  /** Branches per class: 2^DEPTH − 1. */
  public static final int BRANCHES = (1 << DEPTH) - 1;

  private FractalTree() {}

  /**
   * One Gaussian of the tree: class 0 (A) or 1 (B), its branch (numbered per class in generation
   * order, 0 = the trunk) and depth, unnormalised weight, mean and covariance [[a, b], [b, d]].
   */
  public record Component(int cls, int branch, int depth, double weight, double mx, double my, double a, double b, double d) {}

  /** Both classes' components in generation order (class A's 1016, then class B's). */
  public static List<Component> components() {
    LegacyRandom rnd = new LegacyRandom(SEED);
    List<Component> out = new ArrayList<>();
    int[] counter = {0};
    grow(out, rnd, 0, 0, ORIGIN[0], ORIGIN[1], Math.PI * 0.25, counter);
    counter[0] = 0;
    grow(out, rnd, 1, 0, ORIGIN[0], ORIGIN[1], Math.PI * 1.25, counter);
    return out;
  }

  private static void grow(List<Component> out, LegacyRandom rnd, int cls, int depth, double px, double py, double angle, int[] counter) {
    if (depth >= DEPTH) {
      return;
    }
    int branch = counter[0]++;
    double ux = Math.cos(angle);
    double uy = Math.sin(angle);
    double length = 0.292 * Math.pow(0.8, depth) * (rnd.nextGaussian() * 0.2 + 1);
    double thick = 0.2 * Math.pow(0.8, depth) / length;
    double sx = SCALE[0] * length * 0.06;
    double sy = SCALE[1] * length * 0.06;
    double t2 = thick * thick;
    // u u^T + thick^2 (I - u u^T), then scaled elementwise by s s^T
    double a = (ux * ux + t2 * (1 - ux * ux)) * sx * sx;
    double b = (ux * uy - t2 * ux * uy) * sx * sy;
    double d = (uy * uy + t2 * (1 - uy * uy)) * sy * sy;
    double weight = length * Math.pow(0.5, depth);
    for (int i = 0; i < PER_BRANCH; i++) {
      // np.linspace(0.07, 0.93, 8) to the bit: i * step + start, the last one exactly the end
      double t = i == PER_BRANCH - 1 ? 0.93 : i * ((0.93 - 0.07) / (PER_BRANCH - 1)) + 0.07;
      out.add(new Component(cls, branch, depth, weight, (px + ux * length * t) * SCALE[0], (py + uy * length * t) * SCALE[1], a, b, d));
    }
    for (int sign : new int[] {1, -1}) {
      double turn = sign * Math.pow(0.7, depth) * (rnd.nextGaussian() * 0.2 + 1);
      grow(out, rnd, cls, depth + 1, px + ux * length, py + uy * length, angle + turn, counter);
    }
  }
}
