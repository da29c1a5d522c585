package org.guidance4j.sampling;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.guidance4j.diffusion.DiffusionModel;
import org.guidance4j.diffusion.schedule.EdmChurn;
import org.guidance4j.diffusion.schedule.EdmSchedule;
import org.guidance4j.guidance.Autoguidance;
import org.guidance4j.guidance.ClassifierFree;
import org.guidance4j.guidance.Guidance;
import org.guidance4j.guidance.Interval;
import org.guidance4j.guidance.Unguided;
import org.guidance4j.io.Json;

/**
 * The sampling runs of tools/make_sampler_fixtures.py (fixtures/sampling/cases.json), turned into
 * the library's samplers and guidance strategies. Model names are paths under fixtures/.
 */
final class SamplerCases {
  private SamplerCases() {}

  record Case(
      String name, String model, Map<String, Object> sampler, Map<String, Object> guidance, long[] labels,
      long seed, String expected, double fp32VsFp64) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Path fixtures() {
    try {
      return Paths.get(SamplerCases.class.getResource("/fixtures/sampling/cases.json").toURI()).getParent().getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static Path model(String name) {
    return fixtures().resolve(name);
  }

  static List<Case> load() throws IOException {
    Path file = fixtures().resolve("sampling/cases.json");
    Map<String, Object> doc = map(Json.parse(Files.readString(file, StandardCharsets.UTF_8), file.toString()));
    return list(doc.get("cases")).stream().map(o -> toCase(map(o))).toList();
  }

  private static Case toCase(Map<String, Object> m) {
    long[] labels = list(m.get("labels")).stream().mapToLong(o -> ((Number) o).longValue()).toArray();
    return new Case(
        (String) m.get("name"), (String) m.get("model"), map(m.get("sampler")), map(m.get("guidance")), labels,
        ((Number) m.get("seed")).longValue(), (String) m.get("expected"), num(m, "fp32_vs_fp64"));
  }

  static Sampler sampler(Map<String, Object> s) {
    String kind = (String) s.get("kind");
    return switch (kind) {
      case "ddim" -> DiscreteSampler.ddim((String) s.get("respacing"), (Boolean) s.get("clip"), num(s, "eta"));
      case "ddpm" -> DiscreteSampler.ddpm((String) s.get("respacing"), (Boolean) s.get("clip"));
      case "heun", "euler" -> {
        EdmSchedule schedule =
            new EdmSchedule(num(s, "sigma_min"), num(s, "sigma_max"), num(s, "rho"), ((Number) s.get("steps")).intValue());
        EdmChurn churn = EdmChurn.EDM2_DEFAULTS;
        if (s.containsKey("churn")) {
          List<Object> c = list(s.get("churn"));
          churn = new EdmChurn(d(c.get(0)), d(c.get(1)), d(c.get(2)), d(c.get(3)));
        }
        yield new EdmSampler(kind.equals("heun"), schedule, churn);
      }
      default -> throw new IllegalArgumentException("unknown sampler kind " + kind);
    };
  }

  static Guidance guidance(Map<String, Object> g, DiffusionModel main, Function<String, DiffusionModel> models) {
    Guidance inside =
        switch ((String) g.get("kind")) {
          case "none" -> new Unguided(main);
          case "cfg" -> new ClassifierFree(main, num(g, "scale"));
          case "auto" -> new Autoguidance(main, models.apply((String) g.get("guide")), num(g, "scale"));
          default -> throw new IllegalArgumentException("unknown guidance kind " + g.get("kind"));
        };
    if (!g.containsKey("interval")) {
      return inside;
    }
    List<Object> bounds = list(g.get("interval"));
    return new Interval(inside, new Unguided(main), d(bounds.get(0)), d(bounds.get(1)));
  }

  static double num(Map<String, Object> m, String key) {
    return d(m.get(key));
  }

  private static double d(Object o) {
    return ((Number) o).doubleValue();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object o) {
    return (List<Object>) o;
  }
}
