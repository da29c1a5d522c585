package org.guidance4j.diffusion.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One group of steps.json: a diffusion, a step t, a prediction type and random per-element inputs
 * (x, model output, learned variance v, noise z, classifier gradient G), with the reference's
 * DDPM and DDIM results computed the way guided-diffusion structures them.
 */
record StepFixture(
    Map<String, Object> json,
    DiscreteDiffusion diffusion,
    int t,
    Prediction prediction,
    double[] x,
    double[] out,
    double[] v,
    double[] z,
    double[] grad) {

  /** Step outputs can be far smaller than the terms they cancel from; see {@link #check}. */
  static final double TOL = 1e-12;

  static List<StepFixture> all() {
    List<StepFixture> groups = new ArrayList<>();
    for (Object o : Fixtures.list(Fixtures.load("steps.json"))) {
      Map<String, Object> g = Fixtures.map(o);
      groups.add(
          new StepFixture(
              g,
              Fixtures.diffusion(g),
              Fixtures.integer(g, "t"),
              prediction(Fixtures.str(g, "pred")),
              Fixtures.doubles(g.get("x")),
              Fixtures.doubles(g.get("out")),
              Fixtures.doubles(g.get("v")),
              Fixtures.doubles(g.get("z")),
              Fixtures.doubles(g.get("grad"))));
    }
    return groups;
  }

  static Prediction prediction(String name) {
    return switch (name) {
      case "eps" -> Prediction.EPSILON;
      case "x0" -> Prediction.START_X;
      case "v" -> Prediction.VELOCITY;
      default -> throw new IllegalArgumentException(name);
    };
  }

  static VarianceType variance(String name) {
    return switch (name) {
      case "fixed_small" -> VarianceType.FIXED_SMALL;
      case "fixed_large" -> VarianceType.FIXED_LARGE;
      case "learned_range" -> VarianceType.LEARNED_RANGE;
      default -> throw new IllegalArgumentException(name);
    };
  }

  List<Map<String, Object>> cases(String sampler) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : Fixtures.list(json.get(sampler))) {
      out.add(Fixtures.map(o));
    }
    return out;
  }

  String name() {
    return json.get("schedule")
        + " T="
        + json.get("T")
        + " \""
        + json.get("spec")
        + "\" t="
        + t
        + " "
        + json.get("pred");
  }

  /**
   * Judges a step output against the reference relative to the sum of the magnitudes of its
   * terms, the honest error scale of a sum: rounding is relative to the terms, not to the result.
   */
  static void check(double expected, double actual, double termMagnitudes, String what) {
    Fixtures.assertScaled(expected, actual, termMagnitudes + Math.abs(expected), TOL, what);
  }
}
