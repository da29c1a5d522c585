package org.guidance4j.cli;

import java.io.PrintStream;
import java.util.function.Consumer;
import org.guidance4j.sampling.Progress;

/** A one-line progress bar with images/s on stderr, redrawn in place. */
final class ProgressBar implements Consumer<Progress> {
  private final PrintStream out;
  private final boolean interactive;
  private long lastDraw;

  ProgressBar(PrintStream out) {
    this.out = out;
    this.interactive = System.console() != null;
  }

  @Override
  public void accept(Progress p) {
    long now = System.nanoTime();
    boolean last = p.batch() == p.batches() && p.step() == p.steps();
    // without a terminal, print at most one line every 5 s so logs stay short
    long interval = interactive ? 100_000_000L : 5_000_000_000L;
    if (!last && now - lastDraw < interval) {
      return;
    }
    lastDraw = now;
    int width = 30;
    int filled = (int) Math.round(p.fraction() * width);
    String bar = "#".repeat(filled) + " ".repeat(width - filled);
    String line =
        String.format(
            "[%s] %3.0f%%  batch %d/%d  step %d/%d  %.2f images/s",
            bar, 100 * p.fraction(), p.batch(), p.batches(), p.step(), p.steps(), p.imagesPerSecond());
    if (interactive) {
      out.print("\r" + line + (last ? "\n" : ""));
    } else {
      out.println(line);
    }
    out.flush();
  }
}
