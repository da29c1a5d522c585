package org.guidance4j.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.guidance4j.core.Device;
import org.guidance4j.image.Images;
import org.guidance4j.toy.ToyComparison;
import org.guidance4j.toy.ToyComparison.Method;
import org.guidance4j.toy.ToyComparison.Run;
import org.guidance4j.toy.ToyMetrics;
import org.guidance4j.toy.ToyPlot;
import org.guidance4j.toy.ToyReport;

/**
 * `guidance4j toy`: the autoguidance paper's 2-D toy with numbers. Samples class A of the fractal-tree
 * mixture with the shipped toy models under no guidance, CFG, truncation and autoguidance over a
 * sweep of w, and writes toy.png (one panel per method) and toy.md (the table of exact metrics).
 */
final class ToyCommand {
  private ToyCommand() {}

  static Options options() {
    return new Options(
            "toy",
            "The autoguidance 2-D toy: ground truth, no guidance, CFG, truncation and autoguidance on the same seeds,"
                + " judged with the exact density. Writes <out>/toy.png and <out>/toy.md.")
        .option("models", "dir", "folder with the toy models main/, weak/, uncond/ (tools/train_toy_models.py)", "models/toy")
        .option("out", "dir", "folder to write toy.png and toy.md into (created if missing)", "toy")
        .option("samples", "N", "samples per method and w", "16384")
        .option("seed", "N", "seed of the start points (the same for every method)", "0")
        .option("w", "list", "guidance weights of the sweep, comma-separated", "1.1,1.25,1.5,2,3,4")
        .option("plot-w", "W", "the w of the CFG and autoguidance panels of the picture (one of --w)", "3")
        .option("plot-truncation-w", "W", "the w of the truncation panel (one of --w; truncation collapses fast)", "1.25")
        .option("device", "name", "cpu | cuda | cuda:N (the toy's tiny MLPs run best on the CPU)", "cpu");
  }

  static int run(String[] args) throws Exception {
    Options o = options().parse(args);
    if (o.bool("help")) {
      System.out.print(o.help());
      return 0;
    }
    int samples = o.integer("samples");
    if (samples < 100) {
      throw new UsageException("--samples must be >= 100, got " + samples);
    }
    double[] ws = o.numbers("w").stream().mapToDouble(Double::doubleValue).toArray();
    double plotW = plotW(o, "plot-w", ws);
    double truncW = plotW(o, "plot-truncation-w", ws);
    Device device;
    try {
      device = Device.parse(o.string("device"));
    } catch (RuntimeException e) {
      throw new UsageException("--device: " + e.getMessage());
    }
    Path out = o.path("out");
    Files.createDirectories(out);
    System.setProperty("java.awt.headless", "true");

    ToyComparison.Result r =
        ToyComparison.run(o.path("models"), device, samples, o.longValue("seed"), ws, System.err::println);

    List<ToyPlot.Panel> panels = new ArrayList<>();
    panels.add(panel("ground truth", r.find(Method.EXACT, 1)));
    panels.add(panel("no guidance", r.find(Method.NONE, 1)));
    panels.add(panel("CFG, w = " + fmt(plotW), r.find(Method.CFG, plotW)));
    panels.add(panel("truncation, w = " + fmt(truncW), r.find(Method.TRUNCATION, truncW)));
    panels.add(panel("autoguidance, w = " + fmt(plotW), r.find(Method.AUTO, plotW)));
    Path png = out.resolve("toy.png");
    Images.writePng(ToyPlot.draw(panels, r.threshold()), png);
    Path md = out.resolve("toy.md");
    writeAtomically(md, ToyReport.markdown(r));
    System.out.printf("wrote %s and %s (%d samples x %d runs, %.0f s)%n", png, md, samples, r.runs().size(), r.seconds());
    return 0;
  }

  private static double plotW(Options o, String flag, double[] ws) {
    double w = o.number(flag);
    if (Arrays.stream(ws).noneMatch(v -> v == w)) {
      throw new UsageException("--" + flag + " " + fmt(w) + " is not one of --w " + o.string("w"));
    }
    return w;
  }

  private static ToyPlot.Panel panel(String title, Run run) {
    ToyMetrics m = run.metrics();
    String sub = String.format(
        "log p %.2f   outliers %.1f%%   tips %.0f%%   overlap %.2f",
        m.meanLogDensity(), 100 * m.outlierShare(), 100 * m.tipCoverage(), m.overlap());
    return new ToyPlot.Panel(title, sub, run.points());
  }

  private static String fmt(double w) {
    return w == Math.rint(w) ? String.valueOf((long) w) : String.valueOf(w);
  }

  private static void writeAtomically(Path target, String text) throws java.io.IOException {
    Path abs = target.toAbsolutePath();
    // not Files.createTempFile: its 0600 permissions would survive the rename
    Path tmp = abs.resolveSibling("." + abs.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
