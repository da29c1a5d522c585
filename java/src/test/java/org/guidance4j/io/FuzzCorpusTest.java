package org.guidance4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Replays the committed fuzz corpus (src/test/resources/fuzz/corpus, made by {@link FuzzCorpus})
 * through the safetensors, .npy and config readers in every build, and prints one summary line:
 * cases tried and their outcomes. Fails when an input makes a reader throw anything but its own
 * typed refusal (a crash), or when an input the corpus recorded as refused is now accepted (a
 * check was lost). An input now refused that was accepted is counted as "newly refused" (a
 * tightened check): regenerate the corpus once that is intended.
 */
class FuzzCorpusTest {
  @Test
  void theCorpusReplaysWithTypedRefusalsOnly() throws Exception {
    long start = System.nanoTime();
    List<String> summary = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    int total = 0;
    for (String reader : FuzzCorpus.READERS) {
      List<FuzzCorpus.Case> cases = FuzzCorpus.read(reader);
      assertTrue(cases.size() >= 1000, reader + ": " + cases.size() + " cases");
      Predicate<byte[]> check = FuzzCorpus.check(reader);
      int accepted = 0;
      int refused = 0;
      int newlyRefused = 0;
      for (FuzzCorpus.Case c : cases) {
        boolean ok;
        try {
          ok = check.test(c.input());
        } catch (Throwable t) {
          problems.add(reader + " " + c.name() + ": escaped " + t);
          continue;
        }
        if (ok) {
          accepted++;
          if (!c.accepted()) {
            problems.add(reader + " " + c.name() + ": accepted, but the corpus recorded it as refused");
          }
        } else {
          refused++;
          if (c.accepted()) {
            newlyRefused++;
          }
        }
      }
      total += cases.size();
      summary.add(reader + " " + cases.size() + " (" + accepted + " accepted, " + refused + " refused"
          + (newlyRefused > 0 ? ", " + newlyRefused + " newly refused" : "") + ")");
    }
    System.out.printf(
        "fuzz corpus: %d cases in %.1f s: %s; %d crashes or lost checks%n",
        total, (System.nanoTime() - start) / 1e9, String.join(", ", summary), problems.size());
    assertEquals(List.of(), problems.subList(0, Math.min(10, problems.size())), problems.size() + " problems");
  }
}
