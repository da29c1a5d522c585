package org.guidance4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.guidance4j.core.DType;
import org.guidance4j.io.Json;

/**
 * Turns a JMH JSON result into Markdown tables: per benchmark class, the time of every parameter
 * combination with the throughput its counted {@link Work} gives (GB/s, GFLOP/s, images/s) and
 * the counting formula beside it.
 *
 * <pre>java -cp benchmarks.jar org.guidance4j.bench.Report result.json</pre>
 */
public final class Report {
  private Report() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: Report <jmh-result.json>");
      System.exit(2);
    }
    System.out.print(markdown(Files.readString(Path.of(args[0]))));
  }

  /** Bytes per element of the run's dtype parameter (F32 when it has none). */
  static double elementSize(Map<String, String> params) {
    return DType.valueOf(params.getOrDefault("dtype", "F32")).byteSize();
  }

  static Work work(String cls, String method, Map<String, String> p) {
    return switch (cls) {
      case "GuidanceBench" -> GuidanceBench.work(method, p);
      case "ElementwiseBench" -> ElementwiseBench.work(method, p);
      case "CastBench" -> CastBench.work(method, p);
      case "NormBench" -> NormBench.work(method, p);
      case "AttentionBench" -> AttentionBench.work(method, p);
      case "ConvBench" -> ConvBench.work(method, p);
      case "LinearBench" -> LinearBench.work(method, p);
      case "GemmBench" -> GemmBench.work(method, p);
      case "ResampleBench" -> ResampleBench.work(method, p);
      case "EmbeddingBench" -> EmbeddingBench.work(method, p);
      case "AdmForwardBench" -> AdmForwardBench.work(method, p);
      case "CfgStepBench" -> CfgStepBench.work(method, p);
      case "AutoguidanceStepBench" -> AutoguidanceStepBench.work(method, p);
      default -> null;
    };
  }

  static String markdown(String json) {
    Map<String, List<String>> rows = new LinkedHashMap<>();
    Map<String, Map<String, String>> formulas = new LinkedHashMap<>();
    for (Object o : (List<?>) Json.parse(json, "jmh result")) {
      Map<?, ?> r = (Map<?, ?>) o;
      String name = (String) r.get("benchmark");
      String[] parts = name.split("\\.");
      String cls = parts[parts.length - 2];
      String method = parts[parts.length - 1];
      Map<String, String> p = new LinkedHashMap<>();
      if (r.get("params") instanceof Map<?, ?> m) {
        m.forEach((k, v) -> p.put((String) k, (String) v));
      }
      Map<?, ?> metric = (Map<?, ?>) r.get("primaryMetric");
      double score = ((Number) metric.get("score")).doubleValue();
      Object err = metric.get("scoreError");
      double error = err instanceof Number n && Double.isFinite(n.doubleValue()) ? n.doubleValue() : Double.NaN;
      String unit = (String) metric.get("scoreUnit");
      double seconds = score * secondsPer(unit);
      Work w = work(cls, method, p);
      StringBuilder row = new StringBuilder("| ").append(method);
      for (Map.Entry<String, String> e : p.entrySet()) {
        row.append(" | ").append(e.getValue());
      }
      row.append(String.format(Locale.ROOT, " | %s | %s", num(score), Double.isNaN(error) ? "" : num(error)));
      row.append(" | ").append(w != null && w.bytes() > 0 ? num(w.bytes() / seconds / 1e9) : "");
      row.append(" | ").append(w != null && w.flops() > 0 ? num(w.flops() / seconds / 1e9) : "");
      row.append(" | ").append(w != null && w.images() > 0 ? num(w.images() / seconds) : "").append(" |");
      String header = "| method | " + String.join(" | ", p.keySet()) + " | " + unit + " | +-99.9% | GB/s | GFLOP/s | images/s |";
      rows.computeIfAbsent(cls + "\n" + header, k -> new ArrayList<>()).add(row.toString());
      if (w != null) {
        formulas.computeIfAbsent(cls, k -> new LinkedHashMap<>()).put(method, w.formula());
      }
    }
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, List<String>> e : rows.entrySet()) {
      String[] key = e.getKey().split("\n", 2);
      String cls = key[0];
      String header = key[1];
      out.append("### ").append(cls).append("\n\n").append(header).append('\n');
      out.append(header.replaceAll("[^|]+", "---")).append('\n');
      e.getValue().forEach(r -> out.append(r).append('\n'));
      Map<String, String> f = formulas.getOrDefault(cls, Map.of());
      if (!f.isEmpty()) {
        out.append('\n');
        f.forEach((m, text) -> out.append("- `").append(m).append("`: ").append(text).append('\n'));
      }
      out.append('\n');
    }
    return out.toString();
  }

  private static double secondsPer(String unit) {
    return switch (unit) {
      case "ns/op" -> 1e-9;
      case "us/op" -> 1e-6;
      case "ms/op" -> 1e-3;
      case "s/op" -> 1;
      default -> throw new IllegalArgumentException("unexpected JMH unit " + unit + " (run in AverageTime mode)");
    };
  }

  private static String num(double v) {
    if (v == 0) {
      return "0";
    }
    double a = Math.abs(v);
    if (a >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (a >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.3g", v);
  }
}
